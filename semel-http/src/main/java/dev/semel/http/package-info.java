/**
 * What every Semel HTTP adapter shares, whatever its server: the semantic JSON body normalizer
 * behind the request fingerprint ({@link dev.semel.http.JsonBodyNormalizer}) and the RFC 9457
 * problems the adapters answer with ({@link dev.semel.http.IdempotencyProblem}).
 */
package dev.semel.http;
