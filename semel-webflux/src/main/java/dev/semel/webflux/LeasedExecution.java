package dev.semel.webflux;

import dev.semel.Decision;
import dev.semel.Duplicate;
import dev.semel.IdempotencyStoreException;
import dev.semel.Lease;
import java.util.Map;
import java.util.Set;
import org.springframework.core.ResolvableType;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;
import org.springframework.http.codec.FormHttpMessageReader;
import org.springframework.http.codec.multipart.DefaultPartHttpMessageReader;
import org.springframework.http.codec.multipart.MultipartHttpMessageReader;
import org.springframework.http.codec.multipart.Part;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import org.springframework.util.LinkedMultiValueMap;
import org.springframework.util.MultiValueMap;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.ServerWebExchangeDecorator;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Runs an admitted request under its key: claims it, runs the rest of the chain with the body
 * read from memory and the response held by a {@link CapturingResponse}, which ends the lease;
 * a request the engine does not let run goes to the {@link DuplicateAnswers}, and one the store
 * cannot serve gets the 503 problem.
 */
final class LeasedExecution {
    private final EngineCalls calls;
    private final DuplicateAnswers answers;
    private final Set<String> excludedResponseHeaders;
    private final int maxCapturedBodyBytes;

    LeasedExecution(EngineCalls calls, DuplicateAnswers answers, Set<String> excludedResponseHeaders,
            int maxCapturedBodyBytes) {
        this.calls = calls;
        this.answers = answers;
        this.excludedResponseHeaders = excludedResponseHeaders;
        this.maxCapturedBodyBytes = maxCapturedBodyBytes;
    }

    Mono<Void> run(ServerWebExchange exchange, WebFilterChain chain, IdempotentRoute route,
            Admission.Admitted admitted) {
        return calls.begin(admitted.scope(), admitted.key(), admitted.fingerprint(), route.callOptions())
                .onErrorResume(IdempotencyStoreException.class,
                        e -> answers.storeUnavailable(exchange, admitted.key(), e).then(Mono.empty()))
                .flatMap(decision -> decision instanceof Duplicate duplicate
                        ? answers.answer(exchange, duplicate, admitted.key())
                        : run(exchange, chain, ((Decision.Execute) decision).lease(), admitted.body()));
    }

    private Mono<Void> run(ServerWebExchange exchange, WebFilterChain chain, Lease lease, byte[] body) {
        CapturingResponse response = new CapturingResponse(exchange.getResponse(), calls, lease,
                excludedResponseHeaders, maxCapturedBodyBytes);
        CachedBodyRequest request = new CachedBodyRequest(exchange.getRequest(), body);
        ServerWebExchange leased = new CachedBodyExchange(exchange.mutate().request(request).response(response).build(),
                request);
        return Mono.defer(() -> chain.filter(leased))
                .then(Mono.defer(response::chainCompleted))
                .onErrorResume(failure -> response.failed(failure).then(Mono.error(failure)))
                .doOnCancel(response::cancelled);
    }

    /**
     * The exchange of a leased request: its form data and multipart parts are parsed from the body
     * in memory (the server's own parsing would read the request body again, which the filter
     * has consumed).
     */
    static final class CachedBodyExchange extends ServerWebExchangeDecorator {
        private static final ResolvableType FORM_DATA = ResolvableType.forClassWithGenerics(MultiValueMap.class,
                String.class, String.class);
        private static final ResolvableType MULTIPART_DATA = ResolvableType.forClassWithGenerics(
                MultiValueMap.class, String.class, Part.class);
        private static final FormHttpMessageReader FORM_READER = new FormHttpMessageReader();
        private static final MultipartHttpMessageReader MULTIPART_READER =
                new MultipartHttpMessageReader(new DefaultPartHttpMessageReader());

        private final Mono<MultiValueMap<String, String>> formData;
        private final Mono<MultiValueMap<String, Part>> multipartData;

        CachedBodyExchange(ServerWebExchange delegate, CachedBodyRequest request) {
            super(delegate);
            MediaType type = contentType(request);
            this.formData = type != null && MediaType.APPLICATION_FORM_URLENCODED.isCompatibleWith(type)
                    ? FORM_READER.readMono(FORM_DATA, request, Map.of())
                            .switchIfEmpty(Mono.fromSupplier(LinkedMultiValueMap::new)).cache()
                    : Mono.just(new LinkedMultiValueMap<>());
            this.multipartData = type != null && MediaType.MULTIPART_FORM_DATA.isCompatibleWith(type)
                    ? MULTIPART_READER.readMono(MULTIPART_DATA, request, Map.of())
                            .switchIfEmpty(Mono.fromSupplier(LinkedMultiValueMap::new)).cache()
                    : Mono.just(new LinkedMultiValueMap<>());
        }

        private static MediaType contentType(ServerHttpRequest request) {
            try {
                return request.getHeaders().getContentType();
            } catch (InvalidMediaTypeException e) {
                return null;
            }
        }

        @Override
        public Mono<MultiValueMap<String, String>> getFormData() {
            return formData;
        }

        @Override
        public Mono<MultiValueMap<String, Part>> getMultipartData() {
            return multipartData;
        }
    }

    /** The request with its body served again from memory, as often as it is read. */
    static final class CachedBodyRequest extends ServerHttpRequestDecorator {
        private final byte[] body;

        CachedBodyRequest(ServerHttpRequest delegate, byte[] body) {
            super(delegate);
            this.body = body;
        }

        @Override
        public Flux<DataBuffer> getBody() {
            if (body.length == 0) {
                return Flux.empty();
            }
            return Flux.defer(() -> Flux.just(DefaultDataBufferFactory.sharedInstance.wrap(body)));
        }
    }
}
