package dev.semel.webflux;

import java.util.Objects;

/**
 * An Ant-style path pattern over the path within the application (the Servlet filter's
 * patterns, matched the same way): {@code *} or
 * {@code {name}} matches one segment, {@code **} any number of segments (zero included),
 * anything else matches literally.
 */
final class PathPattern {
    private final String pattern;
    private final String[] segments;

    private PathPattern(String pattern) {
        this.pattern = pattern;
        this.segments = split(pattern);
    }

    static PathPattern compile(String pattern) {
        Objects.requireNonNull(pattern, "pattern");
        if (!pattern.startsWith("/")) {
            throw new IllegalArgumentException("A path pattern starts with '/': " + pattern);
        }
        for (String segment : split(pattern)) {
            if (segment.contains("**") && !segment.equals("**")) {
                throw new IllegalArgumentException("'**' must be a whole segment in " + pattern);
            }
        }
        return new PathPattern(pattern);
    }

    boolean matches(String path) {
        if (segments.length == 1 && segments[0].equals("**")) {
            return true; // "/**": every path, without splitting it
        }
        return match(segments, 0, split(path), 0);
    }

    private static boolean match(String[] pattern, int p, String[] path, int i) {
        while (p < pattern.length) {
            String seg = pattern[p];
            if (seg.equals("**")) {
                if (p == pattern.length - 1) {
                    return true;
                }
                for (int k = i; k <= path.length; k++) {
                    if (match(pattern, p + 1, path, k)) {
                        return true;
                    }
                }
                return false;
            }
            if (i >= path.length || !segmentMatches(seg, path[i])) {
                return false;
            }
            p++;
            i++;
        }
        return i == path.length;
    }

    private static boolean segmentMatches(String pattern, String segment) {
        if (pattern.equals("*") || (pattern.startsWith("{") && pattern.endsWith("}"))) {
            return true;
        }
        return pattern.equals(segment);
    }

    /** The non-empty segments of a path; runs of '/' count as one (no regular expression: this runs per request). */
    private static String[] split(String path) {
        int count = 0;
        int length = path.length();
        for (int i = 0; i < length; i++) {
            if (path.charAt(i) != '/' && (i == 0 || path.charAt(i - 1) == '/')) {
                count++;
            }
        }
        String[] segments = new String[count];
        int n = 0;
        int i = 0;
        while (i < length) {
            while (i < length && path.charAt(i) == '/') {
                i++;
            }
            int start = i;
            while (i < length && path.charAt(i) != '/') {
                i++;
            }
            if (i > start) {
                segments[n++] = path.substring(start, i);
            }
        }
        return segments;
    }

    @Override
    public String toString() {
        return pattern;
    }
}
