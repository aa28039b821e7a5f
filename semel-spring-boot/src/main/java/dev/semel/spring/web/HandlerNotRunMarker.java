package dev.semel.spring.web;

import dev.semel.servlet.IdempotencyFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.util.List;
import org.springframework.beans.TypeMismatchException;
import org.springframework.core.Ordered;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.validation.BindException;
import org.springframework.web.HttpMediaTypeNotSupportedException;
import org.springframework.web.HttpRequestMethodNotSupportedException;
import org.springframework.web.bind.ServletRequestBindingException;
import org.springframework.web.method.annotation.HandlerMethodValidationException;
import org.springframework.web.multipart.support.MissingServletRequestPartException;
import org.springframework.web.servlet.HandlerExceptionResolver;
import org.springframework.web.servlet.ModelAndView;
import org.springframework.web.servlet.NoHandlerFoundException;
import org.springframework.web.servlet.resource.NoResourceFoundException;

/**
 * Stripe's rule for requests that never ran: when Spring MVC answers a request before the
 * handler method was invoked, this marks the request so that the idempotency filter releases
 * the key instead of storing that answer, and the corrected retry with the same key runs.
 *
 * <p>"Before the handler ran" means one of Spring MVC's exceptions that only handler lookup or
 * argument resolution raise: no handler or resource (404), method not supported (405), media
 * type not supported (415), an unreadable body, a binding, type-conversion or validation error
 * of an argument ({@code @Valid}, {@code @Validated}, method validation), a missing parameter,
 * header, cookie, path variable or part (400). Everything the handler itself answers or throws,
 * a 404 included, is final and stored per {@code semel.stored-outcomes}.
 *
 * <p>Ordered first among the exception resolvers and resolves nothing: Spring MVC's own
 * resolvers (and the application's {@code @ExceptionHandler}s) still write the answer.
 */
public final class HandlerNotRunMarker implements HandlerExceptionResolver, Ordered {
    /**
     * Spring MVC's exceptions that are raised before the handler method is invoked.
     * {@code MethodArgumentNotValidException} is a {@link BindException}; the missing-parameter,
     * -header, -cookie and -path-variable exceptions are {@link ServletRequestBindingException}s;
     * {@code MethodArgumentTypeMismatchException} is a {@link TypeMismatchException}.
     */
    static final List<Class<? extends Exception>> BEFORE_HANDLER = List.of(
            NoHandlerFoundException.class, NoResourceFoundException.class,
            HttpRequestMethodNotSupportedException.class, HttpMediaTypeNotSupportedException.class,
            HttpMessageNotReadableException.class, BindException.class, HandlerMethodValidationException.class,
            TypeMismatchException.class, ServletRequestBindingException.class,
            MissingServletRequestPartException.class);

    /** Created by the auto-configuration, or by an application that registers it itself. */
    public HandlerNotRunMarker() {
    }

    @Override
    public ModelAndView resolveException(HttpServletRequest request, HttpServletResponse response, Object handler,
            Exception ex) {
        if (isBeforeHandler(ex)) {
            request.setAttribute(IdempotencyFilter.HANDLER_NOT_RUN_ATTRIBUTE, Boolean.TRUE);
        }
        return null;
    }

    static boolean isBeforeHandler(Exception ex) {
        for (Class<? extends Exception> type : BEFORE_HANDLER) {
            if (type.isInstance(ex)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public int getOrder() {
        return Ordered.HIGHEST_PRECEDENCE;
    }
}
