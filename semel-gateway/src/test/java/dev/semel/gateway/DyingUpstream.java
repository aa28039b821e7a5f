package dev.semel.gateway;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An upstream that dies mid-request: it reads a request's head, counts it, and resets the
 * connection without a byte of answer, as a process that crashed would; on a path that contains
 * {@code /mid}, it first sends a response's head and part of its body, then resets.
 */
final class DyingUpstream implements AutoCloseable {
    private final ServerSocket socket;
    private final AtomicInteger requests = new AtomicInteger();
    private final Thread acceptor;

    DyingUpstream() throws IOException {
        socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        acceptor = new Thread(this::serve, "dying-upstream");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    String url() {
        return "http://127.0.0.1:" + socket.getLocalPort();
    }

    int requests() {
        return requests.get();
    }

    private void serve() {
        while (!socket.isClosed()) {
            try (Socket connection = socket.accept()) {
                String head = readHead(connection.getInputStream());
                requests.incrementAndGet();
                if (head.substring(0, head.indexOf('\r')).contains("/mid")) {
                    OutputStream out = connection.getOutputStream();
                    out.write(("HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nX-Upstream: dying\r\n"
                            + "Content-Length: 1000\r\n\r\n{\"partial\":").getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                }
                connection.setSoLinger(true, 0); // a reset, as from a process that died
            } catch (IOException e) {
                // closed, or the gateway went away first
            }
        }
    }

    private static String readHead(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        int c;
        while ((c = in.read()) != -1) {
            head.append((char) c);
            if (head.toString().endsWith("\r\n\r\n")) {
                return head.toString();
            }
        }
        throw new IOException("no request head: " + new String(head.toString().getBytes(StandardCharsets.ISO_8859_1),
                StandardCharsets.ISO_8859_1));
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
