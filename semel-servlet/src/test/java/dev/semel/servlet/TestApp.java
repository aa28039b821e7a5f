package dev.semel.servlet;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** The application behind the filter: each path shows one way of producing a response. */
final class TestApp extends HttpServlet {
    private static final long serialVersionUID = 1L;

    final transient ConcurrentHashMap<String, AtomicInteger> executions = new ConcurrentHashMap<>();
    /** Held by /slow until released, so a test can overlap requests deterministically. */
    transient volatile CountDownLatch slowGate = new CountDownLatch(0);
    /** Counted down by /slow once it is running. */
    transient volatile CountDownLatch slowEntered = new CountDownLatch(1);

    /** Counted down by the worker of /asynctimeout and /asynctimeoutrace once it is done with its request. */
    transient volatile CountDownLatch workerDone = new CountDownLatch(1);
    /** Effects the workers of /asynctimeout and /asynctimeoutrace made (after their request timed out). */
    final AtomicInteger workerEffects = new AtomicInteger();

    int executions(String path) {
        AtomicInteger n = executions.get(path);
        return n == null ? 0 : n.get();
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws ServletException, IOException {
        String path = req.getRequestURI();
        int n = executions.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
        // a multipart handler reads parts, not the stream (a container parses parts from the stream)
        byte[] body = path.contains("multipart") ? new byte[0] : req.getInputStream().readAllBytes();
        String[] segments = path.substring(1).split("/");
        String op = segments[0];
        if ((op.equals("required") || op.equals("waiting") || op.equals("briefwait")) && segments.length > 1) {
            op = segments[1];
        }
        switch (op) {
            case "payments" -> {
                resp.setStatus(201);
                resp.setContentType("application/json;charset=UTF-8");
                resp.setHeader("Location", path + "/" + n);
                resp.addHeader("X-Trace", "a");
                resp.addHeader("X-Trace", "b");
                resp.addHeader("Set-Cookie", "session=secret");
                resp.getWriter().write("{\"execution\":" + n + ",\"method\":\"" + req.getMethod()
                        + "\",\"received\":" + body.length + ",\"text\":\"h\u00e9llo\"}");
            }
            case "sized" -> { // as framework message converters do: the length first, then exactly that many bytes
                byte[] out = ("{\"sized\":" + n + "}").getBytes(StandardCharsets.UTF_8);
                resp.setStatus(201);
                resp.setContentType("application/json");
                resp.setContentLength(out.length);
                resp.getOutputStream().write(out);
                resp.getOutputStream().flush(); // and then flushes, as Spring's converters do
            }
            case "sizedheader" -> {
                byte[] out = ("sized by header " + n).getBytes(StandardCharsets.UTF_8);
                resp.setContentType("text/plain;charset=UTF-8");
                resp.setHeader("Content-Length", Integer.toString(out.length));
                resp.getWriter().write(new String(out, StandardCharsets.UTF_8));
                resp.flushBuffer();
            }
            case "empty" -> resp.setStatus(204);
            case "credentials" -> { // an application that echoes credentials and sets cookies
                resp.setStatus(201);
                resp.setContentType("text/plain");
                resp.setHeader("Authorization", "Bearer issued-" + n);
                resp.addHeader("Set-Cookie", "session=s" + n + "; HttpOnly");
                resp.setHeader("Proxy-Authenticate", "Basic realm=\"x\"");
                resp.setHeader("X-Kept", "kept-" + n);
                resp.getWriter().write("credentials " + n);
            }
            case "closed" -> {
                resp.setContentType("text/plain");
                PrintWriter w = resp.getWriter();
                w.write("closed by the handler " + n);
                w.close();
            }
            case "binary" -> {
                byte[] bytes = new byte[70_000];
                new Random(n).nextBytes(bytes);
                resp.setContentType("application/octet-stream");
                resp.getOutputStream().write(bytes);
            }
            case "stream" -> {
                resp.setContentType("text/plain;charset=UTF-8");
                PrintWriter w = resp.getWriter();
                for (int i = 0; i < 50; i++) {
                    w.print("chunk " + i + " of execution " + n + "\n");
                    if (i % 10 == 0) {
                        resp.flushBuffer();
                    }
                }
            }
            case "big" -> {
                resp.setContentType("application/octet-stream");
                byte[] chunk = new byte[64 * 1024];
                for (int i = 0; i < 40; i++) { // 2.5 MiB
                    chunk[0] = (byte) n;
                    resp.getOutputStream().write(chunk);
                }
            }
            case "error" -> resp.sendError(402, "Payment required (execution " + n + ")");
            case "redirect" -> resp.sendRedirect("/payments/done/" + n);
            case "throw" -> throw new IllegalStateException("handler failed on execution " + n);
            case "fail" -> {
                resp.setStatus(500);
                resp.getWriter().write("failed " + n);
            }
            case "status402" -> {
                resp.setStatus(402);
                resp.setContentType("text/plain");
                resp.getWriter().write("declined " + n);
            }
            case "slow" -> {
                slowEntered.countDown();
                try {
                    if (!slowGate.await(30, TimeUnit.SECONDS)) {
                        throw new ServletException("gate never opened");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new ServletException(e);
                }
                resp.setContentType("text/plain");
                resp.getWriter().write("slow " + n);
            }
            case "async", "asyncsized" -> {
                boolean sized = op.equals("asyncsized");
                AsyncContext ctx = req.startAsync();
                ctx.start(() -> {
                    try {
                        HttpServletResponse r = (HttpServletResponse) ctx.getResponse();
                        r.setStatus(202);
                        r.setContentType("text/plain");
                        byte[] out = ("async " + n).getBytes(StandardCharsets.UTF_8);
                        if (sized) {
                            r.setContentLength(out.length);
                        }
                        r.getOutputStream().write(out);
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    } finally {
                        ctx.complete();
                    }
                });
            }
            case "crlf" -> { // a header value taken from data: CR/LF/NUL must not split the replay
                resp.setStatus(201);
                resp.setContentType("text/plain");
                resp.setHeader("X-Note", "first line\r\nsecond\u0000line");
                resp.getWriter().write("noted " + n);
            }
            case "pseudoheader" -> { // a header named like the filter's own record of sendError
                resp.setStatus(201);
                resp.setContentType("text/plain");
                resp.setHeader(":semel-send-error", "not an error");
                resp.getWriter().write("created " + n);
            }
            case "sentthenthrow" -> { // the status reached the client, then the write failed
                resp.setStatus(201);
                resp.setContentType("text/plain");
                resp.getWriter().write("charged " + n);
                resp.flushBuffer();
                throw new IOException("the client went away (execution " + n + ")");
            }
            case "asynctimeout" -> { // the worker runs on after the container answered and ended the request
                AsyncContext ctx = req.startAsync();
                ctx.setTimeout(100); // the container gives up long before the worker is done
                CountDownLatch ended = new CountDownLatch(1);
                ctx.addListener(new AppListener(() -> { }, ended::countDown)); // after the filter's own listener
                CountDownLatch done = workerDone;
                ctx.start(() -> lateWorker(ctx, ended, n, done));
            }
            case "asynctimeoutrace" -> { // the worker completes while the container is timing the request out
                AsyncContext ctx = req.startAsync();
                ctx.setTimeout(100);
                CountDownLatch timedOut = new CountDownLatch(1);
                CountDownLatch done = workerDone;
                // on the container's thread, after the filter heard of the timeout and before the container answers
                ctx.addListener(new AppListener(() -> {
                    timedOut.countDown();
                    await(done);
                }, () -> { }));
                ctx.start(() -> lateWorker(ctx, timedOut, n, done));
            }
            case "multipart" -> {
                StringBuilder out = new StringBuilder();
                for (jakarta.servlet.http.Part part : req.getParts()) {
                    out.append(part.getName()).append('=')
                            .append(part.getSubmittedFileName() == null ? "" : part.getSubmittedFileName() + ":")
                            .append(new String(part.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
                            .append(';');
                }
                resp.setContentType("text/plain;charset=UTF-8");
                resp.getWriter().write(out + " note=" + req.getParameter("note") + " execution " + n);
            }
            case "form" -> {
                resp.setContentType("text/plain");
                resp.getWriter().write("amount=" + req.getParameter("amount") + " q=" + req.getParameter("q")
                        + " execution " + n);
            }
            default -> {
                resp.setContentType("text/plain");
                resp.getWriter().write(req.getMethod() + " " + path + " execution " + n);
            }
        }
    }

    /** Waits for its cue, then makes its effect, answers 201 and completes, however late that is. */
    private void lateWorker(AsyncContext ctx, CountDownLatch cue, int n, CountDownLatch done) {
        try {
            if (!await(cue)) {
                return;
            }
            workerEffects.incrementAndGet(); // the effect happens after the container gave up on the request
            HttpServletResponse r = (HttpServletResponse) ctx.getResponse();
            r.setStatus(201);
            r.getWriter().write("charged late " + n);
            ctx.complete();
        } catch (RuntimeException | IOException tooLate) {
            // the container answered the request itself and refuses what comes after
        } finally {
            done.countDown();
        }
    }

    private static boolean await(CountDownLatch latch) {
        try {
            return latch.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** An application's own async listener: what it does on timeout and on complete. */
    private record AppListener(Runnable onTimeout, Runnable onComplete) implements AsyncListener {
        @Override
        public void onTimeout(AsyncEvent event) {
            onTimeout.run();
        }

        @Override
        public void onComplete(AsyncEvent event) {
            onComplete.run();
        }

        @Override
        public void onError(AsyncEvent event) {
        }

        @Override
        public void onStartAsync(AsyncEvent event) {
        }
    }
}
