package dev.semel.gateway;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An upstream that dies mid-request: it reads a request's head, counts it, and closes the
 * connection without a byte of answer, as a process that crashed would.
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
                readHead(connection.getInputStream());
                requests.incrementAndGet();
                connection.setSoLinger(true, 0); // a reset, as from a process that died
            } catch (IOException e) {
                // closed, or the gateway went away first
            }
        }
    }

    private static void readHead(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        int c;
        while ((c = in.read()) != -1) {
            head.append((char) c);
            if (head.toString().endsWith("\r\n\r\n")) {
                return;
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
