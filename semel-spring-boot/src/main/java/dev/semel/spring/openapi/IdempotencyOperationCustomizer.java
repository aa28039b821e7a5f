package dev.semel.spring.openapi;

import dev.semel.servlet.IdempotencyFilter;
import dev.semel.servlet.IdempotentRoute;
import dev.semel.servlet.RouteResolver;
import dev.semel.spring.web.SpringMvcRouteResolver;
import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.headers.Header;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.IntegerSchema;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.ObjectSchema;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.media.StringSchema;
import io.swagger.v3.oas.models.parameters.HeaderParameter;
import io.swagger.v3.oas.models.parameters.Parameter;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.oas.models.responses.ApiResponses;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;
import org.springdoc.core.customizers.GlobalOperationComponentsCustomizer;
import org.springframework.web.bind.annotation.RequestMethod;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.servlet.mvc.method.RequestMappingInfo;
import org.springframework.web.servlet.mvc.method.RequestMappingInfoHandlerMapping;

/**
 * Documents what Semel adds to the operations it protects, in springdoc's OpenAPI document:
 * the {@code Idempotency-Key} request header (required or optional, as the route says), the
 * {@code Idempotent-Replayed} header on success responses, and the RFC 9457 problems
 * ({@code application/problem+json}) Semel answers with: 400, 409, 413, 422 and 503.
 *
 * <p>Which operations are protected is decided as the {@link IdempotencyFilter} decides it for
 * a request: the handler's {@code @Idempotent} rule ({@link SpringMvcRouteResolver}), else the
 * configured path pattern that matches the operation's route, and only for the methods the rule
 * protects. Spring Boot registers it through {@link SemelOpenApiAutoConfiguration}.
 */
public final class IdempotencyOperationCustomizer implements GlobalOperationComponentsCustomizer {
    /** The media type of every problem Semel answers with. */
    static final String PROBLEM_JSON = "application/problem+json";
    /** The name of the problem schema among the document's components. */
    static final String PROBLEM_SCHEMA = "IdempotencyProblem";
    private static final Set<RequestMethod> UNSAFE = Set.of(RequestMethod.POST, RequestMethod.PUT,
            RequestMethod.PATCH, RequestMethod.DELETE);
    private static final Map<String, String> PROBLEMS = Map.of(
            "400", "The Idempotency-Key header is missing where it is required, or malformed, or the keyed "
                    + "request identifies no caller.",
            "409", "A request with the same Idempotency-Key is still being processed: retry after Retry-After "
                    + "seconds.",
            "413", "The request body is larger than Semel accepts for an idempotent request.",
            "422", "The Idempotency-Key was already used with a different request (method, path, query or body).",
            "503", "The idempotency store is unavailable, so the request was not run: retry after Retry-After "
                    + "seconds.");

    private final Supplier<IdempotencyFilter> filter;
    private final Supplier<RouteResolver> routeResolver;
    private final Supplier<List<RequestMappingInfoHandlerMapping>> handlerMappings;
    private final String headerName;
    private final String servletPath;

    /**
     * Creates the customizer for a {@code DispatcherServlet} mapped at the root; its
     * collaborators are looked up when the document is built.
     *
     * @param filter the idempotency filter, whose configured routes apply
     * @param routeResolver the route resolver, or a supplier of {@code null} if none
     * @param handlerMappings the handler mappings that give each handler method its routes
     * @param headerName the idempotency key header's name
     */
    public IdempotencyOperationCustomizer(Supplier<IdempotencyFilter> filter, Supplier<RouteResolver> routeResolver,
            Supplier<List<RequestMappingInfoHandlerMapping>> handlerMappings, String headerName) {
        this(filter, routeResolver, handlerMappings, headerName, "");
    }

    /**
     * Creates the customizer for a {@code DispatcherServlet} mapped under a path
     * ({@code spring.mvc.servlet.path}): the filter matches its path patterns against the path
     * within the application, servlet path included, so a handler's route is matched with the
     * servlet path in front, as a request to it would be.
     *
     * @param filter the idempotency filter, whose configured routes apply
     * @param routeResolver the route resolver, or a supplier of {@code null} if none
     * @param handlerMappings the handler mappings that give each handler method its routes
     * @param headerName the idempotency key header's name
     * @param servletPath the servlet path, {@code ""} or {@code "/"} for the root, e.g. {@code "/api"}
     */
    public IdempotencyOperationCustomizer(Supplier<IdempotencyFilter> filter, Supplier<RouteResolver> routeResolver,
            Supplier<List<RequestMappingInfoHandlerMapping>> handlerMappings, String headerName,
            String servletPath) {
        this.filter = Objects.requireNonNull(filter, "filter");
        this.routeResolver = Objects.requireNonNull(routeResolver, "routeResolver");
        this.handlerMappings = Objects.requireNonNull(handlerMappings, "handlerMappings");
        this.headerName = Objects.requireNonNull(headerName, "headerName");
        this.servletPath = prefix(Objects.requireNonNull(servletPath, "servletPath"));
    }

    /** The servlet path as a prefix of routes: no trailing slash, empty for the root. */
    private static String prefix(String servletPath) {
        String p = servletPath.strip();
        while (p.endsWith("/") || p.endsWith("*")) {
            p = p.substring(0, p.length() - 1);
        }
        return p.isEmpty() || p.startsWith("/") ? p : "/" + p;
    }

    @Override
    public Operation customize(Operation operation, Components components, HandlerMethod handlerMethod) {
        Boolean keyRequired = keyRequired(handlerMethod);
        if (keyRequired != null) {
            document(operation, keyRequired, components);
        }
        return operation;
    }

    @Override
    public Operation customize(Operation operation, HandlerMethod handlerMethod) {
        return customize(operation, null, handlerMethod); // problems described inline
    }

    /** Whether the key is required, {@code null} when Semel does not protect the handler. */
    private Boolean keyRequired(HandlerMethod handlerMethod) {
        IdempotencyFilter idempotencyFilter = filter.get();
        if (idempotencyFilter == null) {
            return null;
        }
        RouteResolver resolver = routeResolver.get();
        boolean protectedAtAll = false;
        boolean required = true;
        for (RequestMappingInfoHandlerMapping mapping : handlerMappings.get()) {
            for (Map.Entry<RequestMappingInfo, HandlerMethod> entry : mapping.getHandlerMethods().entrySet()) {
                if (!entry.getValue().equals(handlerMethod)) {
                    continue;
                }
                Set<RequestMethod> methods = entry.getKey().getMethodsCondition().getMethods();
                for (String path : entry.getKey().getPatternValues()) {
                    IdempotentRoute configured = idempotencyFilter.configuredRoute(servletPath + path);
                    for (RequestMethod method : methods.isEmpty() ? UNSAFE : methods) {
                        // another resolver decides per request only: its configured routes are all we know
                        IdempotentRoute route = resolver instanceof SpringMvcRouteResolver spring
                                ? spring.route(handlerMethod, method.name(), configured) : configured;
                        if (route != null && route.protects(method.name())) {
                            protectedAtAll = true;
                            required &= route.keyRequired();
                        }
                    }
                }
            }
        }
        return protectedAtAll ? required : null;
    }

    private void document(Operation operation, boolean keyRequired, Components components) {
        Parameter key = null;
        if (operation.getParameters() != null) {
            for (Parameter parameter : operation.getParameters()) {
                if ("header".equals(parameter.getIn()) && headerName.equalsIgnoreCase(parameter.getName())) {
                    key = parameter;
                }
            }
        }
        if (key == null) {
            key = new HeaderParameter().name(headerName);
            operation.addParametersItem(key);
        }
        key.required(keyRequired);
        if (key.getDescription() == null || key.getDescription().isBlank()) {
            key.description("A key the client chooses for this operation (1 to 255 printable ASCII characters), "
                    + (keyRequired ? "required" : "optional") + ": a retry with the same key and the same request "
                    + "gets the first response again instead of running the operation twice.");
        }
        Schema<?> schema = key.getSchema();
        if (schema == null || "string".equals(schema.getType())
                || (schema.getTypes() != null && schema.getTypes().contains("string"))) {
            key.schema(new StringSchema().minLength(1).maxLength(255));
        }

        ApiResponses responses = operation.getResponses();
        if (responses == null) {
            responses = new ApiResponses();
            operation.responses(responses);
        }
        for (Map.Entry<String, ApiResponse> response : responses.entrySet()) {
            if (response.getKey().startsWith("2")) {
                response.getValue().addHeaderObject(IdempotencyFilter.REPLAYED_HEADER, new Header()
                        .description("true when this is the stored response of an earlier request with the same "
                                + "key, replayed without running the operation again")
                        .schema(new StringSchema()._enum(List.of("true"))));
            }
        }
        Schema<?> problem;
        if (components == null) {
            problem = problemSchema();
        } else {
            if (components.getSchemas() == null || !components.getSchemas().containsKey(PROBLEM_SCHEMA)) {
                components.addSchemas(PROBLEM_SCHEMA, problemSchema());
            }
            problem = new Schema<>().$ref("#/components/schemas/" + PROBLEM_SCHEMA);
        }
        for (String status : List.of("400", "409", "413", "422", "503")) {
            problem(responses, status, PROBLEMS.get(status), problem);
        }
    }

    private static void problem(ApiResponses responses, String status, String description, Schema<?> schema) {
        ApiResponse response = responses.get(status);
        if (response == null) {
            response = new ApiResponse().description(description);
            responses.addApiResponse(status, response);
        } else if (response.getDescription() == null || response.getDescription().isBlank()) {
            response.description(description);
        } else if (!response.getDescription().contains(description)) {
            response.description(response.getDescription() + "\n\n" + description);
        }
        Content content = response.getContent();
        if (content == null) {
            content = new Content();
            response.content(content);
        }
        if (!content.containsKey(PROBLEM_JSON)) {
            content.addMediaType(PROBLEM_JSON, new MediaType().schema(schema));
        }
        if (status.equals("409") || status.equals("503")) {
            response.addHeaderObject("Retry-After", new Header()
                    .description("Seconds to wait before retrying").schema(new IntegerSchema()));
        }
    }

    private static Schema<?> problemSchema() {
        return new ObjectSchema()
                .description("RFC 9457 problem details, as Semel answers them")
                .addProperty("type", new StringSchema().format("uri").description("The problem's stable type"))
                .addProperty("title", new StringSchema())
                .addProperty("status", new IntegerSchema())
                .addProperty("detail", new StringSchema())
                .addProperty("instance", new StringSchema());
    }
}
