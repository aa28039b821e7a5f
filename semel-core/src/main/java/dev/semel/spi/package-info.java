/**
 * For store and adapter authors: the {@link dev.semel.spi.IdempotencyStore} contract, the records it keeps and the values it exchanges with the engine.
 */
@NullMarked
package dev.semel.spi;

import org.jspecify.annotations.NullMarked;
