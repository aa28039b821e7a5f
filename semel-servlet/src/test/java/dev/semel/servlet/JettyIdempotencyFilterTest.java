package dev.semel.servlet;

import jakarta.servlet.Filter;
import java.util.List;

/** The filter's HTTP behaviour on embedded Jetty 12 (ee10). */
class JettyIdempotencyFilterTest extends IdempotencyFilterContract {
    @Override
    EmbeddedServer start(List<Filter> filters, TestApp app) throws Exception {
        return EmbeddedServer.jetty(filters, app);
    }
}
