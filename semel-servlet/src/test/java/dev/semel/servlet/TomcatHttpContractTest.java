package dev.semel.servlet;

import jakarta.servlet.Filter;
import jakarta.servlet.http.HttpServlet;
import java.util.List;

/** The shared HTTP contract through the filter on Tomcat 11. */
class TomcatHttpContractTest extends ServletHttpContract {
    @Override
    EmbeddedServer container(List<Filter> filters, HttpServlet servlet) throws Exception {
        return EmbeddedServer.tomcat(filters, servlet);
    }
}
