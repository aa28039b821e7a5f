package dev.semel.servlet;

import dev.semel.Idempotency;
import dev.semel.http.tck.ContractApp;
import dev.semel.http.tck.HttpBehaviourContract;
import jakarta.servlet.Filter;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.util.List;

/** The shared HTTP contract through {@link IdempotencyFilter}, on a real servlet container. */
abstract class ServletHttpContract extends HttpBehaviourContract {
    /** Starts the container with the filter in front of the servlet. */
    abstract EmbeddedServer container(List<Filter> filters, HttpServlet servlet) throws Exception;

    @Override
    protected Server start(Idempotency engine, ContractApp app) throws Exception {
        IdempotencyFilter filter = IdempotencyFilter.builder(engine)
                .route("/required/**", IdempotentRoute.builder().keyRequired(true).build())
                .route("/**")
                .maxRequestBodyBytes(MAX_BODY_BYTES)
                .build();
        EmbeddedServer server = container(List.of(filter), new AppServlet(app));
        URI base = URI.create("http://127.0.0.1:" + server.port());
        return new Server() {
            @Override
            public URI base() {
                return base;
            }

            @Override
            public void stop() throws Exception {
                server.stop();
            }
        };
    }

    /** The contract's application as a servlet: its answer written as it is; its failure thrown. */
    static final class AppServlet extends HttpServlet {
        private static final long serialVersionUID = 1L;
        private final transient ContractApp app;

        AppServlet(ContractApp app) {
            this.app = app;
        }

        @Override
        protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
            ContractApp.Response answer = app.handle(new ContractApp.Request(request.getMethod(),
                    request.getRequestURI(), request.getInputStream().readAllBytes()));
            response.setStatus(answer.status());
            for (ContractApp.Header h : answer.headers()) {
                response.addHeader(h.name(), h.value());
            }
            response.setContentLength(answer.body().length);
            response.getOutputStream().write(answer.body());
        }
    }
}
