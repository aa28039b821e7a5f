/**
 * Encryption of stored responses at rest, for applications whose responses must not be readable in the store.
 */
@NullMarked
package dev.semel.encryption;

import org.jspecify.annotations.NullMarked;
