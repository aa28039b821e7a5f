package dev.semel.servlet;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.MultipartConfigElement;
import jakarta.servlet.http.HttpServlet;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import org.apache.catalina.Context;
import org.apache.catalina.Wrapper;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.util.descriptor.web.FilterDef;
import org.apache.tomcat.util.descriptor.web.FilterMap;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/** A real servlet container on 127.0.0.1 and a random port, with filters in front of one servlet. */
interface EmbeddedServer {
    int port();

    void stop() throws Exception;

    /** Stops a server. */
    interface Stopper {
        void stop() throws Exception;
    }

    static EmbeddedServer of(int port, Stopper stopper) {
        return new EmbeddedServer() {
            @Override
            public int port() {
                return port;
            }

            @Override
            public void stop() throws Exception {
                stopper.stop();
            }
        };
    }

    static EmbeddedServer jetty(List<Filter> filters, HttpServlet app) throws Exception {
        Server server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        ServletContextHandler context = new ServletContextHandler("/");
        for (Filter f : filters) {
            FilterHolder holder = new FilterHolder(f);
            holder.setAsyncSupported(true);
            context.addFilter(holder, "/*", EnumSet.of(DispatcherType.REQUEST));
        }
        ServletHolder servlet = new ServletHolder(app);
        servlet.setAsyncSupported(true);
        servlet.getRegistration().setMultipartConfig(new MultipartConfigElement(""));
        context.addServlet(servlet, "/*");
        server.setHandler(context);
        server.start();
        return of(connector.getLocalPort(), server::stop);
    }

    static EmbeddedServer tomcat(List<Filter> filters, HttpServlet app) throws Exception {
        return tomcat(filters, app, false);
    }

    /** Tomcat, with its connector's response compression ({@code compression="force"}) on or off. */
    @SuppressWarnings("deprecation") // addServletMappingDecoded is still how embedded Tomcat maps a servlet
    static EmbeddedServer tomcat(List<Filter> filters, HttpServlet app, boolean compression) throws Exception {
        Path base = Files.createTempDirectory("semel-tomcat");
        Tomcat tomcat = new Tomcat();
        tomcat.setBaseDir(base.toString());
        Connector connector = new Connector();
        connector.setPort(0);
        connector.setProperty("address", "127.0.0.1");
        if (compression) {
            connector.setProperty("compression", "force"); // every size, for clients that accept gzip
        }
        tomcat.getService().addConnector(connector);
        tomcat.setConnector(connector);
        Context context = tomcat.addContext("", base.toString());
        int i = 0;
        for (Filter f : filters) {
            FilterDef def = new FilterDef();
            def.setFilterName("filter" + i);
            def.setFilter(f);
            def.setAsyncSupported("true");
            context.addFilterDef(def);
            FilterMap map = new FilterMap();
            map.setFilterName("filter" + i);
            map.addURLPattern("/*");
            context.addFilterMap(map);
            i++;
        }
        Wrapper wrapper = Tomcat.addServlet(context, "app", app);
        wrapper.setAsyncSupported(true);
        wrapper.setMultipartConfigElement(new MultipartConfigElement(""));
        context.addServletMappingDecoded("/*", "app");
        tomcat.start();
        return of(connector.getLocalPort(), () -> {
            tomcat.stop();
            tomcat.destroy();
            try (var files = Files.walk(base)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        });
    }
}
