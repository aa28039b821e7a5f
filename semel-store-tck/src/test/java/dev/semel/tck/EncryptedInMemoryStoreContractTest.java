package dev.semel.tck;

import dev.semel.InMemoryIdempotencyStore;
import dev.semel.encryption.ResponseEncryption;
import dev.semel.spi.IdempotencyStore;

/** The in-memory store keeps the whole contract with encryption at rest on. */
class EncryptedInMemoryStoreContractTest extends IdempotencyStoreContract {
    private static final ResponseEncryption ENCRYPTION = ResponseEncryption.builder()
            .key("tck", "hex:8a3b9c1d2e4f60718293a4b5c6d7e8f911223344556677889900aabbccddeeff")
            .build();

    @Override
    protected IdempotencyStore createStore() {
        return ENCRYPTION.protect(new InMemoryIdempotencyStore());
    }
}
