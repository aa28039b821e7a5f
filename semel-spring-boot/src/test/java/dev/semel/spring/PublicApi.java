package dev.semel.spring;

import java.lang.reflect.Array;
import java.lang.reflect.Executable;
import java.lang.reflect.Field;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.lang.reflect.WildcardType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Renders the public surface of a set of classes as sorted text, one line per type header and one
 * per member: what a user of the jar can see and link against. Written here rather than taken from
 * {@code Method.toGenericString()} so the listing reads the same on every JDK.
 *
 * <p>Listed: public top-level types, and public or protected nested types of listed types; their
 * public and protected fields, constructors and methods as declared (inherited members show under
 * the type that declares them), with generic signatures and {@code throws}; enum constants in
 * ordinal order; record components; sealed types with what they permit. Left out: synthetic and
 * bridge members, and an enum's implicit {@code values()} and {@code valueOf(String)}. Packages
 * with an {@code internal} segment are marked as such.
 */
final class PublicApi {
    private static final int TYPE_MODIFIERS = Modifier.PUBLIC | Modifier.PROTECTED | Modifier.ABSTRACT
            | Modifier.STATIC | Modifier.FINAL;
    private static final int MEMBER_MODIFIERS = Modifier.PUBLIC | Modifier.PROTECTED | Modifier.ABSTRACT
            | Modifier.STATIC | Modifier.FINAL;

    private PublicApi() {
    }

    /** Counts of what {@link #render} lists. */
    record Counts(int topLevel, int nested, int internalTopLevel, int internalNested) {
    }

    static boolean isApi(Class<?> type) {
        if (type.isSynthetic() || type.isAnonymousClass() || type.isLocalClass()) {
            return false;
        }
        Class<?> enclosing = type.getDeclaringClass();
        if (enclosing == null) {
            return Modifier.isPublic(type.getModifiers());
        }
        return isApi(enclosing) && (Modifier.isPublic(type.getModifiers()) || Modifier.isProtected(type.getModifiers()));
    }

    static boolean isInternal(Class<?> type) {
        return Arrays.asList(type.getPackageName().split("\\.")).contains("internal");
    }

    static Counts count(List<Class<?>> types) {
        int top = 0;
        int nested = 0;
        int internalTop = 0;
        int internalNested = 0;
        for (Class<?> type : types) {
            if (!isApi(type)) {
                continue;
            }
            boolean isNested = type.getDeclaringClass() != null;
            if (isInternal(type)) {
                if (isNested) {
                    internalNested++;
                } else {
                    internalTop++;
                }
            }
            if (isNested) {
                nested++;
            } else {
                top++;
            }
        }
        return new Counts(top, nested, internalTop, internalNested);
    }

    /** The listing of the API types among {@code types}, grouped by package, sorted. */
    static List<String> render(List<Class<?>> types) {
        Map<String, List<Class<?>>> byPackage = new TreeMap<>();
        for (Class<?> type : types) {
            if (isApi(type)) {
                byPackage.computeIfAbsent(type.getPackageName(), p -> new ArrayList<>()).add(type);
            }
        }
        List<String> lines = new ArrayList<>();
        byPackage.forEach((pkg, inPackage) -> {
            lines.add("");
            lines.add("package " + pkg + (isInternal(inPackage.get(0)) ? "  // internal: no compatibility promise" : ""));
            inPackage.stream().sorted(Comparator.comparing(Class::getCanonicalName)).forEach(type -> {
                lines.add("");
                lines.add(header(type));
                lines.addAll(members(type));
            });
        });
        return lines;
    }

    private static String header(Class<?> type) {
        StringBuilder s = new StringBuilder();
        int mods = type.getModifiers() & TYPE_MODIFIERS;
        String kind;
        if (type.isAnnotation()) {
            kind = "@interface";
            mods &= ~(Modifier.ABSTRACT | Modifier.STATIC);
        } else if (type.isInterface()) {
            kind = "interface";
            mods &= ~(Modifier.ABSTRACT | Modifier.STATIC);
        } else if (type.isEnum()) {
            kind = "enum";
            mods &= ~(Modifier.ABSTRACT | Modifier.FINAL | Modifier.STATIC);
        } else if (type.isRecord()) {
            kind = "record";
            mods &= ~(Modifier.FINAL | Modifier.STATIC);
        } else {
            kind = "class";
        }
        s.append(Modifier.toString(mods));
        // an enum whose constants have bodies is sealed in the class file; the source says enum
        if (type.isSealed() && !type.isEnum()) {
            s.append(" sealed");
        } else if (isNonSealed(type)) {
            s.append(" non-sealed");
        }
        s.append(' ').append(kind).append(' ').append(type.getCanonicalName());
        s.append(typeParameters(type.getTypeParameters()));
        if (type.isRecord()) {
            s.append(Arrays.stream(type.getRecordComponents())
                    .map(c -> name(c.getGenericType()) + " " + c.getName())
                    .collect(Collectors.joining(", ", "(", ")")));
        }
        Type superclass = type.getGenericSuperclass();
        if (superclass != null && !List.of(Object.class, Enum.class, Record.class).contains(raw(superclass))) {
            s.append(" extends ").append(name(superclass));
            if (!Modifier.isPublic(raw(superclass).getModifiers())) {
                s.append(" /* not public */");
            }
        }
        List<String> interfaces = Arrays.stream(type.getGenericInterfaces())
                .filter(i -> !(type.isAnnotation() && raw(i) == java.lang.annotation.Annotation.class))
                .map(PublicApi::name).sorted().toList();
        if (!interfaces.isEmpty()) {
            s.append(type.isInterface() ? " extends " : " implements ").append(String.join(", ", interfaces));
        }
        if (type.isSealed() && !type.isEnum()) {
            s.append(" permits ").append(Arrays.stream(type.getPermittedSubclasses())
                    .map(p -> p.getCanonicalName() + (isApi(p) ? "" : " /* not public */"))
                    .sorted().collect(Collectors.joining(", ")));
        }
        return s.toString();
    }

    private static boolean isNonSealed(Class<?> type) {
        if (Modifier.isFinal(type.getModifiers()) || type.isSealed() || type.isEnum() || type.isRecord()) {
            return false;
        }
        return Stream.concat(Stream.ofNullable(type.getSuperclass()), Arrays.stream(type.getInterfaces()))
                .anyMatch(Class::isSealed);
    }

    private static List<String> members(Class<?> type) {
        List<String> enumConstants = new ArrayList<>();
        if (type.isEnum()) {
            for (Object constant : type.getEnumConstants()) {
                enumConstants.add("  enum constant " + ((Enum<?>) constant).name());
            }
        }
        List<String> fields = Arrays.stream(type.getDeclaredFields())
                .filter(f -> !f.isSynthetic() && !f.isEnumConstant() && visible(f.getModifiers()))
                .sorted(Comparator.comparing(Field::getName))
                .map(f -> "  " + modifiers(f.getModifiers()) + name(f.getGenericType()) + " " + f.getName())
                .toList();
        List<String> constructors = Arrays.stream(type.getDeclaredConstructors())
                .filter(c -> !c.isSynthetic() && visible(c.getModifiers()))
                .map(c -> "  " + modifiers(c.getModifiers()) + typeParameters(c.getTypeParameters(), " ")
                        + type.getSimpleName() + parameters(c) + exceptions(c))
                .sorted().toList();
        List<String> methods = Arrays.stream(type.getDeclaredMethods())
                .filter(m -> !m.isSynthetic() && !m.isBridge() && visible(m.getModifiers()) && !isImplicitEnumMethod(type, m))
                .sorted(Comparator.comparing(Method::getName).thenComparing(PublicApi::method))
                .map(PublicApi::method).toList();
        List<String> all = new ArrayList<>(enumConstants);
        all.addAll(fields);
        all.addAll(constructors);
        all.addAll(methods);
        return all;
    }

    private static String method(Method m) {
        StringBuilder s = new StringBuilder("  ").append(modifiers(m.getModifiers()));
        if (m.isDefault()) {
            s.append("default ");
        }
        s.append(typeParameters(m.getTypeParameters(), " "));
        s.append(name(m.getGenericReturnType())).append(' ').append(m.getName()).append(parameters(m)).append(exceptions(m));
        if (m.getDefaultValue() != null) {
            s.append(" default ").append(value(m.getDefaultValue()));
        }
        return s.toString();
    }

    private static boolean isImplicitEnumMethod(Class<?> type, Method m) {
        if (!type.isEnum() || !Modifier.isStatic(m.getModifiers())) {
            return false;
        }
        return (m.getName().equals("values") && m.getParameterCount() == 0)
                || (m.getName().equals("valueOf") && Arrays.equals(m.getParameterTypes(), new Class<?>[] {String.class}));
    }

    private static boolean visible(int modifiers) {
        return Modifier.isPublic(modifiers) || Modifier.isProtected(modifiers);
    }

    private static String modifiers(int modifiers) {
        String text = Modifier.toString(modifiers & MEMBER_MODIFIERS);
        return text.isEmpty() ? "" : text + " ";
    }

    private static String parameters(Executable e) {
        Type[] types = e.getGenericParameterTypes();
        // an inner (non-static) class's constructor: the generic signature leaves out the outer instance
        if (types.length != e.getParameterCount()) {
            types = e.getParameterTypes();
        }
        List<String> names = new ArrayList<>();
        for (int i = 0; i < types.length; i++) {
            String name = name(types[i]);
            if (e.isVarArgs() && i == types.length - 1 && name.endsWith("[]")) {
                name = name.substring(0, name.length() - 2) + "...";
            }
            names.add(name);
        }
        return names.stream().collect(Collectors.joining(", ", "(", ")"));
    }

    private static String exceptions(Executable e) {
        Type[] thrown = e.getGenericExceptionTypes();
        if (thrown.length == 0) {
            return "";
        }
        return " throws " + Arrays.stream(thrown).map(PublicApi::name).sorted().collect(Collectors.joining(", "));
    }

    private static String typeParameters(TypeVariable<?>[] variables) {
        return typeParameters(variables, "");
    }

    private static String typeParameters(TypeVariable<?>[] variables, String suffix) {
        if (variables.length == 0) {
            return "";
        }
        return Arrays.stream(variables).map(v -> {
            List<Type> bounds = Arrays.stream(v.getBounds()).filter(b -> b != Object.class).toList();
            return bounds.isEmpty() ? v.getName()
                    : v.getName() + " extends " + bounds.stream().map(PublicApi::name).collect(Collectors.joining(" & "));
        }).collect(Collectors.joining(", ", "<", ">")) + suffix;
    }

    private static Class<?> raw(Type type) {
        if (type instanceof Class<?> c) {
            return c;
        }
        if (type instanceof ParameterizedType p) {
            return (Class<?>) p.getRawType();
        }
        throw new IllegalArgumentException("not a class type: " + type);
    }

    /** A type as source code spells it, fully qualified, the same on every JDK. */
    static String name(Type type) {
        if (type instanceof Class<?> c) {
            if (c.isArray()) {
                return name(c.getComponentType()) + "[]";
            }
            return c.getCanonicalName() != null ? c.getCanonicalName() : c.getName();
        }
        if (type instanceof ParameterizedType p) {
            String raw = name(p.getRawType());
            if (p.getOwnerType() instanceof ParameterizedType owner) {
                raw = name(owner) + "." + ((Class<?>) p.getRawType()).getSimpleName();
            }
            return raw + Arrays.stream(p.getActualTypeArguments()).map(PublicApi::name)
                    .collect(Collectors.joining(", ", "<", ">"));
        }
        if (type instanceof WildcardType w) {
            if (w.getLowerBounds().length > 0) {
                return "? super " + name(w.getLowerBounds()[0]);
            }
            Type upper = w.getUpperBounds()[0];
            return upper == Object.class ? "?" : "? extends " + name(upper);
        }
        if (type instanceof TypeVariable<?> v) {
            return v.getName();
        }
        if (type instanceof GenericArrayType a) {
            return name(a.getGenericComponentType()) + "[]";
        }
        throw new IllegalArgumentException("unknown kind of type: " + type);
    }

    private static String value(Object value) {
        if (value instanceof String s) {
            return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
        }
        if (value instanceof Class<?> c) {
            return name(c) + ".class";
        }
        if (value instanceof Enum<?> e) {
            return name(e.getDeclaringClass()) + "." + e.name();
        }
        if (value.getClass().isArray()) {
            List<String> items = new ArrayList<>();
            for (int i = 0; i < Array.getLength(value); i++) {
                items.add(value(Array.get(value, i)));
            }
            return items.stream().collect(Collectors.joining(", ", "{", "}"));
        }
        if (value instanceof Character c) {
            return "'" + c + "'";
        }
        return String.valueOf(value) + (value instanceof Long ? "L" : value instanceof Float ? "f" : "");
    }
}
