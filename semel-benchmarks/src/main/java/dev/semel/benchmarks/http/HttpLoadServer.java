package dev.semel.benchmarks.http;

import dev.semel.Idempotency;
import dev.semel.InMemoryIdempotencyStore;
import dev.semel.servlet.IdempotencyFilter;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * The server the HTTP load script drives: one small JSON POST handler, reachable bare
 * ({@code /bare/...}) and behind the {@link IdempotencyFilter} with the in-memory store
 * ({@code /filtered/...}), in the same JVM and the same Jetty, so both are measured
 * under the same conditions.
 *
 * <p>Usage: {@code java -cp benchmarks.jar dev.semel.benchmarks.http.HttpLoadServer [port]}
 */
public final class HttpLoadServer {
    private HttpLoadServer() {
    }

    /**
     * Starts the server and blocks.
     *
     * @param args optional port (default 18080)
     * @throws Exception if Jetty fails to start
     */
    public static void main(String[] args) throws Exception {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 18080;
        Idempotency engine = Idempotency.create(InMemoryIdempotencyStore.builder().maxRecords(20_000_000).build());
        Server server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(port);
        server.addConnector(connector);
        ServletContextHandler context = new ServletContextHandler("/");
        context.addServlet(new ServletHolder(new PaymentServlet()), "/*");
        context.addFilter(new FilterHolder(IdempotencyFilter.builder(engine).route("/filtered/**")
                .allowAnonymous(true).build()), // wrk sends no credential: one client, one scope
                "/filtered/*", EnumSet.of(DispatcherType.REQUEST));
        server.setHandler(context);
        server.start();
        System.out.println("HttpLoadServer listening on 127.0.0.1:" + port);
        server.join();
    }

    /** A small JSON POST handler: reads the body, answers 201 with a JSON document. */
    static final class PaymentServlet extends HttpServlet {
        private static final long serialVersionUID = 1L;
        private final AtomicLong ids = new AtomicLong();

        @Override
        protected void doPost(HttpServletRequest req, HttpServletResponse resp) throws IOException {
            byte[] body = req.getInputStream().readAllBytes();
            long id = ids.incrementAndGet();
            byte[] out = ("{\"id\":" + id + ",\"status\":\"accepted\",\"received\":" + body.length + "}")
                    .getBytes(StandardCharsets.UTF_8);
            resp.setStatus(201);
            resp.setContentType("application/json");
            resp.setHeader("Location", "/payments/" + id);
            resp.setContentLength(out.length);
            resp.getOutputStream().write(out);
        }
    }
}
