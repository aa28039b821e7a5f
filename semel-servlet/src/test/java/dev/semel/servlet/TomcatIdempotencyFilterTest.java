package dev.semel.servlet;

import jakarta.servlet.Filter;
import java.util.List;

/** The filter's HTTP behaviour on embedded Tomcat 11. */
class TomcatIdempotencyFilterTest extends IdempotencyFilterContract {
    @Override
    EmbeddedServer start(List<Filter> filters, TestApp app) throws Exception {
        return EmbeddedServer.tomcat(filters, app);
    }
}
