package dev.semel.servlet;

import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayOutputStream;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A servlet response that records what is asked of it, in order, as a container would be
 * asked: {@code "setStatus(201)"}, {@code "addHeader(X-Trace, a)"}; body bytes are kept apart.
 */
final class RecordingResponse {
    final List<String> calls = new ArrayList<>();
    final ByteArrayOutputStream body = new ByteArrayOutputStream();
    final HttpServletResponse response = (HttpServletResponse) Proxy.newProxyInstance(
            RecordingResponse.class.getClassLoader(), new Class<?>[] {HttpServletResponse.class},
            (proxy, method, args) -> {
                switch (method.getName()) {
                    case "isCommitted" -> {
                        return false;
                    }
                    case "getOutputStream" -> {
                        return stream();
                    }
                    case "toString" -> {
                        return "RecordingResponse";
                    }
                    default -> {
                        calls.add(method.getName() + "(" + (args == null ? "" : Arrays.stream(args)
                                .map(String::valueOf).collect(Collectors.joining(", "))) + ")");
                        return null;
                    }
                }
            });

    private ServletOutputStream stream() {
        return new ServletOutputStream() {
            @Override
            public void write(int b) {
                body.write(b);
            }

            @Override
            public boolean isReady() {
                return true;
            }

            @Override
            public void setWriteListener(WriteListener listener) {
            }
        };
    }
}
