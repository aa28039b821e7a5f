package dev.semel.http;

import dev.semel.BodyNormalizer;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.TokenStreamFactory;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.core.util.JsonRecyclerPools;

/**
 * Compares JSON request bodies by meaning, not by bytes: the same JSON value with another
 * key order, other whitespace or another spelling of a number ({@code 1.50}, {@code 1.5},
 * {@code 15e-1}) has the same fingerprint. Fields named by a JSON Pointer (RFC 6901) can
 * be ignored, for values a client legitimately changes between retries (a timestamp, a
 * trace id).
 *
 * <p>Applies to {@code application/json} and {@code application/*+json}; other bodies are
 * compared byte for byte. A body that is not valid JSON is reported with
 * {@link IllegalArgumentException}, and the filter then falls back to comparing its bytes
 * (the application decides how to answer it).
 *
 * <p>It runs on every keyed request before the handler, replays included, so its cost is
 * linear in the size of the body whatever its shape, and it refuses bodies built to be
 * expensive with {@link JsonLimitExceededException} (the filter answers 400): nesting
 * deeper than {@value #DEFAULT_MAX_NESTING_DEPTH} levels or a number longer than
 * {@value #DEFAULT_MAX_NUMBER_LENGTH} characters by default.
 *
 * <pre>{@code
 * BodyNormalizer json = JsonBodyNormalizer.ignoring("/sentAt", "/meta/traceId")
 *         .withMaxNestingDepth(32);
 * }</pre>
 */
public final class JsonBodyNormalizer implements BodyNormalizer {
    /** Default deepest nesting of objects and arrays accepted: 100 levels. */
    public static final int DEFAULT_MAX_NESTING_DEPTH = 100;
    /** Default longest number accepted, in characters (sign, digits, point and exponent): 100. */
    public static final int DEFAULT_MAX_NUMBER_LENGTH = 100;
    /** The largest nesting depth that can be configured. */
    public static final int MAX_NESTING_DEPTH_LIMIT = 1000;

    /*
     * Jackson's own limits are lifted (the request body limit bounds every token): this class
     * checks depth and number length itself, to tell them apart from invalid JSON, and does not
     * canonicalize property names (no symbol table for a hostile body to fill). Parse buffers
     * are kept per thread: with Jackson's default pool, one shared deque, taking and giving
     * back the buffers cost more than parsing a small body when every request thread does it
     * (measured: two thirds of this class's time under load). On a virtual thread they are
     * allocated per body instead, as with no pool.
     */
    private static final JsonFactory FACTORY = JsonFactory.builder()
            .recyclerPool(JsonRecyclerPools.threadLocalPool())
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(Integer.MAX_VALUE)
                    .maxNumberLength(Integer.MAX_VALUE)
                    .maxNameLength(Integer.MAX_VALUE)
                    .maxStringLength(Integer.MAX_VALUE)
                    .build())
            .disable(TokenStreamFactory.Feature.CANONICALIZE_PROPERTY_NAMES)
            .disable(TokenStreamFactory.Feature.INTERN_PROPERTY_NAMES)
            .build();
    private static final JsonBodyNormalizer DEFAULT = new JsonBodyNormalizer(Set.of(), DEFAULT_MAX_NESTING_DEPTH,
            DEFAULT_MAX_NUMBER_LENGTH);
    private static final byte OBJECT = '{';
    private static final byte ARRAY = '[';
    private static final byte END = '.';
    private static final byte STRING = '"';
    private static final byte NUMBER = '#';
    private static final byte TRUE = 't';
    private static final byte FALSE = 'f';
    private static final byte NULL = 'n';

    private final Set<String> ignoredPointers;
    private final PointerNode ignored;
    private final int maxNestingDepth;
    private final int maxNumberLength;

    private JsonBodyNormalizer(Set<String> ignoredPointers, int maxNestingDepth, int maxNumberLength) {
        this.ignoredPointers = ignoredPointers;
        this.ignored = ignoredPointers.isEmpty() ? null : PointerNode.of(ignoredPointers);
        this.maxNestingDepth = maxNestingDepth;
        this.maxNumberLength = maxNumberLength;
    }

    /**
     * The normalizer that ignores nothing, with the default limits.
     *
     * @return the shared instance
     */
    public static JsonBodyNormalizer create() {
        return DEFAULT;
    }

    /**
     * A normalizer that leaves out the values at some JSON Pointers, with the default limits.
     *
     * @param pointers RFC 6901 pointers such as {@code /sentAt} or {@code /items/0/note}
     * @return the normalizer
     * @throws IllegalArgumentException if a pointer does not start with {@code /}
     */
    public static JsonBodyNormalizer ignoring(String... pointers) {
        for (String p : pointers) {
            Objects.requireNonNull(p, "pointer");
            if (!p.startsWith("/")) {
                throw new IllegalArgumentException("A JSON Pointer starts with '/': '" + p + "'");
            }
        }
        return new JsonBodyNormalizer(Set.copyOf(new LinkedHashSet<>(Arrays.asList(pointers))),
                DEFAULT_MAX_NESTING_DEPTH, DEFAULT_MAX_NUMBER_LENGTH);
    }

    /**
     * This normalizer with another nesting limit: a body whose objects and arrays nest
     * deeper is refused with {@link JsonLimitExceededException}.
     *
     * @param levels 1 to {@value #MAX_NESTING_DEPTH_LIMIT}; default {@value #DEFAULT_MAX_NESTING_DEPTH}
     * @return the normalizer
     */
    public JsonBodyNormalizer withMaxNestingDepth(int levels) {
        if (levels < 1 || levels > MAX_NESTING_DEPTH_LIMIT) {
            throw new IllegalArgumentException("The maximum JSON nesting depth must be between 1 and "
                    + MAX_NESTING_DEPTH_LIMIT + ", was " + levels);
        }
        return new JsonBodyNormalizer(ignoredPointers, levels, maxNumberLength);
    }

    /**
     * This normalizer with another number limit: a body with a longer number (counting
     * sign, digits, point and exponent) is refused with {@link JsonLimitExceededException}.
     *
     * @param characters positive; default {@value #DEFAULT_MAX_NUMBER_LENGTH}
     * @return the normalizer
     */
    public JsonBodyNormalizer withMaxNumberLength(int characters) {
        if (characters < 1) {
            throw new IllegalArgumentException("The maximum JSON number length must be positive, was " + characters);
        }
        return new JsonBodyNormalizer(ignoredPointers, maxNestingDepth, characters);
    }

    /** @return the deepest nesting accepted */
    public int maxNestingDepth() {
        return maxNestingDepth;
    }

    /** @return the longest number accepted, in characters */
    public int maxNumberLength() {
        return maxNumberLength;
    }

    /**
     * Whether a media type is JSON: {@code application/json} or {@code application/*+json}.
     *
     * @param contentType a Content-Type value, may be {@code null}
     * @return {@code true} for JSON
     */
    public static boolean isJson(String contentType) {
        if (contentType == null) {
            return false;
        }
        int semicolon = contentType.indexOf(';');
        String type = (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).trim()
                .toLowerCase(Locale.ROOT);
        return type.equals("application/json") || (type.startsWith("application/") && type.endsWith("+json"));
    }

    /**
     * {@inheritDoc}
     *
     * @throws JsonLimitExceededException if the body nests too deep or has a number too long
     * @throws IllegalArgumentException if a JSON body is not valid JSON
     */
    @Override
    public byte[] normalize(String contentType, byte[] body) {
        if (!isJson(contentType) || body.length == 0) {
            return body;
        }
        Work work = new Work(body.length);
        try (JsonParser parser = FACTORY.createParser(ObjectReadContext.empty(), body)) {
            JsonToken first = parser.nextToken();
            if (first == null) {
                return body;
            }
            value(parser, first, ignored, 0, work);
            if (parser.nextToken() != null) {
                throw new IllegalArgumentException("Trailing content after the JSON value");
            }
        } catch (JacksonException e) {
            throw new IllegalArgumentException("The body is not valid JSON: " + e.getOriginalMessage(), e);
        }
        return work.result();
    }

    /*
     * The canonical form is a tagged binary encoding, not JSON text: it is only hashed, and
     * writing it needs no generator, no escaping and no intermediate strings. Every value
     * starts with a tag byte; strings and names are a length and their UTF-16 code units;
     * numbers are the decimal spelling "[-]<digits>e<exponent>" with leading and trailing
     * zeros stripped (zero is "0e0"), ended by ';'; objects list their members sorted by name
     * (members with one name keep their order). No encoding of one value is a prefix of another's.
     *
     * Linear in the body: values are written once, in document order, into one buffer, and
     * every object records where its members start and end. Only when some object's members
     * are out of order is a second buffer written, by walking the objects and copying each
     * member's bytes once in sorted order; a subtree is never copied into its parent.
     */

    /** Writes the canonical form of the value starting at {@code token}; {@code pointer} is null when nothing below is ignored. */
    private void value(JsonParser parser, JsonToken token, PointerNode pointer, int depth, Work out) {
        switch (token) {
            case START_OBJECT:
                object(parser, pointer, depth + 1, out);
                break;
            case START_ARRAY: {
                checkDepth(depth + 1);
                out.put(ARRAY);
                JsonToken t;
                int index = 0;
                while ((t = parser.nextToken()) != JsonToken.END_ARRAY) {
                    PointerNode child = pointer == null ? null : pointer.child(Integer.toString(index));
                    index++;
                    if (child != null && child.ignored) {
                        parser.skipChildren();
                        continue;
                    }
                    value(parser, t, child, depth + 1, out);
                }
                out.put(END);
                break;
            }
            case VALUE_STRING:
                out.put(STRING);
                out.chars(parser.getStringCharacters(), parser.getStringOffset(), parser.getStringLength());
                break;
            case VALUE_NUMBER_INT:
            case VALUE_NUMBER_FLOAT:
                number(parser.getStringCharacters(), parser.getStringOffset(), parser.getStringLength(), out);
                break;
            case VALUE_TRUE:
                out.put(TRUE);
                break;
            case VALUE_FALSE:
                out.put(FALSE);
                break;
            case VALUE_NULL:
                out.put(NULL);
                break;
            default:
                throw new IllegalArgumentException("Unexpected JSON token " + token);
        }
    }

    private void checkDepth(int depth) {
        if (depth > maxNestingDepth) {
            throw new JsonLimitExceededException(JsonLimitExceededException.Limit.NESTING_DEPTH, maxNestingDepth);
        }
    }

    private void object(JsonParser parser, PointerNode pointer, int depth, Work out) {
        checkDepth(depth);
        int self = out.startObject();
        int firstMember = out.stackSize;
        String previous = null;
        boolean sorted = true;
        while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
            String name = parser.currentName();
            JsonToken valueToken = parser.nextToken();
            PointerNode child = pointer == null ? null : pointer.child(name);
            if (child != null && child.ignored) {
                parser.skipChildren();
                continue;
            }
            sorted &= previous == null || previous.compareTo(name) <= 0;
            previous = name;
            int member = out.startMember(name);
            value(parser, valueToken, child, depth, out);
            out.endMember(member);
        }
        out.endObject(self, firstMember, sorted);
    }

    /** Writes a JSON number (its text as the parser read it: valid JSON syntax) in canonical form. */
    private void number(char[] text, int offset, int length, Work out) {
        if (length > maxNumberLength) {
            throw new JsonLimitExceededException(JsonLimitExceededException.Limit.NUMBER_LENGTH, maxNumberLength);
        }
        int end = offset + length;
        int i = offset;
        boolean negative = text[i] == '-';
        if (negative) {
            i++;
        }
        int intStart = i;
        while (i < end && isDigit(text[i])) {
            i++;
        }
        int intEnd = i;
        int fracStart = i;
        int fracEnd = i;
        if (i < end && text[i] == '.') {
            fracStart = ++i;
            while (i < end && isDigit(text[i])) {
                i++;
            }
            fracEnd = i;
        }
        int expStart = end;
        if (i < end && (text[i] == 'e' || text[i] == 'E')) {
            expStart = i + 1;
        }
        // the digits are int part then fraction part; find the first and the last that is not 0
        int first = -1;
        int last = -1;
        for (int p = intStart; p < intEnd; p++) {
            if (text[p] != '0') {
                if (first < 0) {
                    first = p;
                }
                last = p;
            }
        }
        for (int p = fracStart; p < fracEnd; p++) {
            if (text[p] != '0') {
                if (first < 0) {
                    first = p;
                }
                last = p;
            }
        }
        out.put(NUMBER);
        if (first < 0) {
            out.ascii("0e0;");
            return;
        }
        if (negative) {
            out.put((byte) '-');
        }
        for (int p = first; p <= last; p++) {
            if (p == intEnd && fracStart > intEnd) {
                p = fracStart; // skip the point
            }
            out.put((byte) text[p]);
        }
        // value = digits[first..last] * 10^(exponent - digits after last)
        long shift = last < intEnd ? (intEnd - 1 - last) : -(long) (last - fracStart + 1);
        out.put((byte) 'e');
        out.ascii(exponent(text, expStart, end, shift));
        out.put((byte) ';');
    }

    private static String exponent(char[] text, int start, int end, long shift) {
        if (start >= end) {
            return Long.toString(shift);
        }
        int i = start;
        boolean negative = text[i] == '-';
        if (text[i] == '-' || text[i] == '+') {
            i++;
        }
        while (i < end - 1 && text[i] == '0') {
            i++;
        }
        if (end - i <= 17) {
            long exponent = 0;
            for (; i < end; i++) {
                exponent = exponent * 10 + (text[i] - '0');
            }
            return Long.toString((negative ? -exponent : exponent) + shift);
        }
        BigInteger exponent = new BigInteger(new String(text, i, end - i));
        return (negative ? exponent.negate() : exponent).add(BigInteger.valueOf(shift)).toString();
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    @Override
    public String toString() {
        return "JsonBodyNormalizer[ignoring=" + ignoredPointers + ", maxNestingDepth=" + maxNestingDepth
                + ", maxNumberLength=" + maxNumberLength + "]";
    }

    /** The ignored pointers as a tree of reference tokens, so a child is found without building its pointer. */
    private static final class PointerNode {
        private final Map<String, PointerNode> children = new HashMap<>();
        private boolean ignored;

        static PointerNode of(Set<String> pointers) {
            PointerNode root = new PointerNode();
            for (String pointer : pointers) {
                PointerNode node = root;
                for (String token : pointer.substring(1).split("/", -1)) {
                    String name = token.replace("~1", "/").replace("~0", "~");
                    node = node.children.computeIfAbsent(name, n -> new PointerNode());
                }
                node.ignored = true;
            }
            return root;
        }

        /** The node of a child, or {@code null} when no ignored pointer goes through it. */
        PointerNode child(String name) {
            return children.isEmpty() ? null : children.get(name);
        }
    }

    /**
     * The canonical bytes in document order, with where every object and member starts and
     * ends, then (only if some object is out of order) the same bytes with members sorted.
     */
    private static final class Work {
        private byte[] bytes;
        private int size;
        // objects, in the order they start (pre-order)
        private int objectCount;
        private int[] objectStart = new int[8];
        private int[] objectEnd = new int[8];
        private int[] objectAfter = new int[8]; // index of the first object after this one's descendants
        private int[] objectFirstMember = new int[8];
        private int[] objectMembers = new int[8];
        private boolean[] objectUnsorted = new boolean[8]; // this object or one inside it is out of order
        private int[] objectParent = new int[8];
        private int openObject = -1;
        // members, in the order they start; the stack holds the members of the objects still open,
        // order[] each closed object's members in sorted order (from objectFirstMember[i])
        private int memberCount;
        private int[] stack = new int[8];
        private int stackSize;
        private int orderSize;
        private String[] memberName = new String[8];
        private int[] memberStart = new int[8];
        private int[] memberEnd = new int[8];
        private int[] memberFirstObject = new int[8];
        private int[] order = new int[8];
        private byte[] sortedBytes;
        private int sortedSize;

        Work(int bodyLength) {
            bytes = new byte[Math.max(16, bodyLength + 16)];
        }

        int startObject() {
            int i = objectCount++;
            if (i == objectStart.length) {
                int n = i * 2;
                objectStart = Arrays.copyOf(objectStart, n);
                objectEnd = Arrays.copyOf(objectEnd, n);
                objectAfter = Arrays.copyOf(objectAfter, n);
                objectFirstMember = Arrays.copyOf(objectFirstMember, n);
                objectMembers = Arrays.copyOf(objectMembers, n);
                objectUnsorted = Arrays.copyOf(objectUnsorted, n);
                objectParent = Arrays.copyOf(objectParent, n);
            }
            objectStart[i] = size;
            objectParent[i] = openObject;
            openObject = i;
            put(OBJECT);
            return i;
        }

        int startMember(String name) {
            int m = memberCount++;
            if (m == memberStart.length) {
                int n = m * 2;
                memberName = Arrays.copyOf(memberName, n);
                memberStart = Arrays.copyOf(memberStart, n);
                memberEnd = Arrays.copyOf(memberEnd, n);
                memberFirstObject = Arrays.copyOf(memberFirstObject, n);
                order = Arrays.copyOf(order, n);
                stack = Arrays.copyOf(stack, n);
            }
            stack[stackSize++] = m;
            memberName[m] = name;
            memberStart[m] = size;
            memberFirstObject[m] = objectCount;
            chars(name);
            return m;
        }

        void endMember(int m) {
            memberEnd[m] = size;
        }

        /** Closes object {@code i}, whose members are on the stack from {@code stackBase}. */
        void endObject(int i, int stackBase, boolean sorted) {
            put(END);
            objectEnd[i] = size;
            objectAfter[i] = objectCount;
            int count = stackSize - stackBase;
            objectFirstMember[i] = orderSize;
            objectMembers[i] = count;
            if (sorted) {
                System.arraycopy(stack, stackBase, order, orderSize, count);
            } else {
                System.arraycopy(stack, stackBase, order, orderSize, count);
                sortByName(orderSize, orderSize + count);
                objectUnsorted[i] = true;
            }
            for (int k = stackBase; k < stackSize; k++) {
                memberName[stack[k]] = null; // names are only needed to sort this object
            }
            orderSize += count;
            stackSize = stackBase;
            openObject = objectParent[i];
            if (objectUnsorted[i] && openObject >= 0) {
                objectUnsorted[openObject] = true;
            }
        }

        /** Sorts order[from, to) by member name: a stable merge sort on ints, no boxing. */
        private void sortByName(int from, int to) {
            int[] scratch = new int[to - from];
            mergeSort(from, to, scratch);
        }

        private void mergeSort(int from, int to, int[] scratch) {
            int n = to - from;
            if (n < 2) {
                return;
            }
            if (n <= 16) { // insertion sort: stable
                for (int i = from + 1; i < to; i++) {
                    int m = order[i];
                    String name = memberName[m];
                    int j = i - 1;
                    while (j >= from && memberName[order[j]].compareTo(name) > 0) {
                        order[j + 1] = order[j];
                        j--;
                    }
                    order[j + 1] = m;
                }
                return;
            }
            int middle = (from + to) >>> 1;
            mergeSort(from, middle, scratch);
            mergeSort(middle, to, scratch);
            if (memberName[order[middle - 1]].compareTo(memberName[order[middle]]) <= 0) {
                return; // already in order
            }
            System.arraycopy(order, from, scratch, 0, n);
            int left = 0;
            int leftEnd = middle - from;
            int right = leftEnd;
            for (int k = from; k < to; k++) {
                if (right >= n || (left < leftEnd
                        && memberName[scratch[left]].compareTo(memberName[scratch[right]]) <= 0)) {
                    order[k] = scratch[left++];
                } else {
                    order[k] = scratch[right++];
                }
            }
        }

        byte[] result() {
            boolean anyUnsorted = false;
            for (int i = 0; i < objectCount && !anyUnsorted; i = objectAfter[i]) {
                anyUnsorted = objectUnsorted[i]; // top-level objects carry their descendants' state
            }
            if (!anyUnsorted) {
                return Arrays.copyOf(bytes, size);
            }
            sortedBytes = new byte[size];
            sortedSize = 0;
            emitRange(0, size, 0);
            return sortedBytes;
        }

        /** Copies bytes [from, to) in sorted form; {@code object} is the first object that may start there. */
        private void emitRange(int from, int to, int object) {
            int position = from;
            int i = object;
            while (i < objectCount && objectStart[i] < to) {
                copy(position, objectStart[i]);
                emitObject(i);
                position = objectEnd[i];
                i = objectAfter[i];
            }
            copy(position, to);
        }

        private void emitObject(int i) {
            if (!objectUnsorted[i]) {
                copy(objectStart[i], objectEnd[i]);
                return;
            }
            sortedBytes[sortedSize++] = OBJECT;
            for (int k = objectFirstMember[i], end = k + objectMembers[i]; k < end; k++) {
                int m = order[k];
                emitRange(memberStart[m], memberEnd[m], memberFirstObject[m]);
            }
            sortedBytes[sortedSize++] = END;
        }

        private void copy(int from, int to) {
            System.arraycopy(bytes, from, sortedBytes, sortedSize, to - from);
            sortedSize += to - from;
        }

        void put(byte b) {
            ensure(1);
            bytes[size++] = b;
        }

        void chars(String s) {
            int length = s.length();
            ensure(4 + 2 * length);
            lengthPrefix(length);
            for (int i = 0; i < length; i++) {
                char c = s.charAt(i);
                bytes[size++] = (byte) (c >>> 8);
                bytes[size++] = (byte) c;
            }
        }

        void chars(char[] chars, int offset, int length) {
            ensure(4 + 2 * length);
            lengthPrefix(length);
            for (int i = offset, end = offset + length; i < end; i++) {
                char c = chars[i];
                bytes[size++] = (byte) (c >>> 8);
                bytes[size++] = (byte) c;
            }
        }

        private void lengthPrefix(int length) {
            bytes[size++] = (byte) (length >>> 24);
            bytes[size++] = (byte) (length >>> 16);
            bytes[size++] = (byte) (length >>> 8);
            bytes[size++] = (byte) length;
        }

        void ascii(String s) {
            int length = s.length();
            ensure(length);
            for (int i = 0; i < length; i++) {
                bytes[size++] = (byte) s.charAt(i);
            }
        }

        private void ensure(int more) {
            if (size + more > bytes.length) {
                bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + more));
            }
        }
    }
}
