package dev.semel.http.tck;

import java.io.EOFException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * HTTP/1.1 written by hand on a socket, for rows no HTTP client can express: a body sent in
 * parts, a declared length never sent, several requests on one connection.
 */
public final class RawHttp {
    private RawHttp() {
    }

    /**
     * Writes raw bytes on a connection and reads one response.
     *
     * @param socket the connection
     * @param in its input, buffered, kept across calls on the same connection
     * @param request the bytes to write (a request, or the rest of one), as ISO-8859-1 or UTF-8 text
     * @return the status line, the headers and the body (Content-Length or chunked)
     * @throws Exception if the connection fails or closes first
     */
    public static String exchange(Socket socket, InputStream in, String request) throws Exception {
        socket.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
        socket.getOutputStream().flush();
        StringBuilder head = new StringBuilder();
        while (head.length() < 4 || head.lastIndexOf("\r\n\r\n") != head.length() - 4) {
            int c = in.read();
            if (c < 0) {
                throw new EOFException("connection closed after: " + head);
            }
            head.append((char) c);
        }
        int length = 0;
        boolean chunked = false;
        for (String line : head.toString().split("\r\n")) {
            if (line.regionMatches(true, 0, "content-length:", 0, 15)) {
                length = Integer.parseInt(line.substring(15).trim());
            }
            chunked |= line.regionMatches(true, 0, "transfer-encoding:", 0, 18) && line.contains("chunked");
        }
        if (!chunked) {
            return head + new String(in.readNBytes(length), StandardCharsets.UTF_8);
        }
        StringBuilder body = new StringBuilder();
        for (int size = chunkSize(in); size > 0; size = chunkSize(in)) {
            body.append(new String(in.readNBytes(size), StandardCharsets.UTF_8));
            in.readNBytes(2); // the chunk's CRLF
        }
        in.readNBytes(2); // the last chunk's CRLF (no trailers)
        return head + body.toString();
    }

    private static int chunkSize(InputStream in) throws Exception {
        StringBuilder line = new StringBuilder();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                throw new EOFException("connection closed in a chunked body");
            }
            line.append((char) c);
        }
        return Integer.parseInt(line.toString().trim().split(";")[0], 16);
    }
}
