package dev.semel.client;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A TCP proxy in front of an HTTP/1.1 server that loses responses: when the server starts
 * answering a request the plan picks, the proxy closes both connections instead of
 * forwarding the answer. The server has done the work; the client sees a dropped
 * connection: the case an idempotency key exists for.
 */
final class FaultProxy implements AutoCloseable {
    private static final Pattern KEY = Pattern.compile("(?im)^Idempotency-Key:\\s*(\\S+)\\s*$");

    private final ServerSocket listener;
    private final int targetPort;
    private final Predicate<String> dropResponseTo;
    private final AtomicInteger dropped = new AtomicInteger();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();

    /**
     * @param targetPort the server's port on the loopback address
     * @param dropResponseTo given the request's text (head and body), whether to lose its response
     */
    FaultProxy(int targetPort, Predicate<String> dropResponseTo) throws IOException {
        this.targetPort = targetPort;
        this.dropResponseTo = dropResponseTo;
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::acceptLoop, "fault-proxy-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** Loses the response to the first request that carries each key; later ones pass. */
    static Predicate<String> firstRequestOfEachKey() {
        Set<String> seen = ConcurrentHashMap.newKeySet();
        return request -> {
            Matcher m = KEY.matcher(request);
            return m.find() && seen.add(m.group(1));
        };
    }

    int port() {
        return listener.getLocalPort();
    }

    /** Responses lost so far. */
    int dropped() {
        return dropped.get();
    }

    private void acceptLoop() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                Socket upstream = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                sockets.add(client);
                sockets.add(upstream);
                Connection connection = new Connection(client, upstream);
                start("fault-proxy-up", connection::pumpRequests);
                start("fault-proxy-down", connection::pumpResponses);
            } catch (IOException closed) {
                return;
            }
        }
    }

    private static void start(String name, Runnable r) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        t.start();
    }

    private final class Connection {
        private final Socket client;
        private final Socket upstream;
        private final StringBuilder request = new StringBuilder();
        private boolean awaitingResponse;

        Connection(Socket client, Socket upstream) {
            this.client = client;
            this.upstream = upstream;
        }

        void pumpRequests() {
            byte[] buffer = new byte[8192];
            try (InputStream in = client.getInputStream(); OutputStream out = upstream.getOutputStream()) {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    synchronized (this) {
                        // recorded before forwarding, so it is complete when the server answers
                        request.append(new String(buffer, 0, n, StandardCharsets.ISO_8859_1));
                        awaitingResponse = true;
                    }
                    out.write(buffer, 0, n);
                    out.flush();
                }
            } catch (IOException closed) {
                // either side went away
            } finally {
                closeBoth();
            }
        }

        void pumpResponses() {
            byte[] buffer = new byte[8192];
            try (InputStream in = upstream.getInputStream(); OutputStream out = client.getOutputStream()) {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    boolean drop = false;
                    synchronized (this) {
                        if (awaitingResponse) {
                            awaitingResponse = false;
                            drop = dropResponseTo.test(request.toString());
                            request.setLength(0);
                        }
                    }
                    if (drop) {
                        dropped.incrementAndGet();
                        return;
                    }
                    out.write(buffer, 0, n);
                    out.flush();
                }
            } catch (IOException closed) {
                // either side went away
            } finally {
                closeBoth();
            }
        }

        private void closeBoth() {
            close(client);
            close(upstream);
        }
    }

    private static void close(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
        sockets.forEach(FaultProxy::close);
    }

    InetSocketAddress address() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), port());
    }
}
