package dev.arcbox.core.agent;

import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;

/** One output stream of an {@link Execution} as an {@link InputStream}; reading returns credit to the agent. */
final class OutputPipe extends InputStream {

    private final Execution execution;
    private final OutputBuffer buffer;

    OutputPipe(Execution execution, OutputBuffer buffer) {
        this.execution = execution;
        this.buffer = buffer;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return execution.read(buffer, one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        return execution.read(buffer, b, off, len);
    }

    @Override
    public int available() {
        return (int) Math.min(Integer.MAX_VALUE, execution.locked(buffer::buffered));
    }
}
