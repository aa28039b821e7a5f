/**
 * BASELINES, NOT SEMEL, NOT FOR PRODUCTION: the least any hand-written idempotency filter
 * does, against which the benchmark measures Semel. They keep no fingerprint, no scope, no
 * headers, no lease renewal, no fencing, and answer a crash mid-request with a key stuck in
 * progress until it expires: exactly the corners Semel exists to cover. Only their cost is of
 * interest here.
 */
package dev.semel.benchmarks.app.baseline;
