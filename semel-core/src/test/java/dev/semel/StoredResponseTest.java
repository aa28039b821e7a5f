package dev.semel;

import dev.semel.spi.StoredResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class StoredResponseTest {
    @Test
    void theBodyCannotBeChangedThroughWhatItHandsOut() throws IOException {
        byte[] original = {1, 2, 3};
        StoredResponse stored = StoredResponse.of(201, List.of(), original);
        original[0] = 9;
        stored.body()[1] = 9;

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        stored.writeBodyTo(out);
        assertThat(out.toByteArray()).containsExactly(1, 2, 3);
        assertThat(stored.body()).containsExactly(1, 2, 3);
        assertThat(stored.bodyLength()).isEqualTo(3);
    }

    @Test
    void emptyAndUnretainedBodiesWriteNothing() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StoredResponse.of(204, List.of(), new byte[0]).writeBodyTo(out);
        StoredResponse.withoutBody(200, List.of()).writeBodyTo(out);
        assertThat(out.size()).isZero();
    }
}
