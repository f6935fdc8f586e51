package dev.arcbox.daemon;

import io.grpc.stub.StreamObserver;
import java.util.function.Supplier;

/** How every unary RPC answers: the call's result, or its error mapped by {@link Statuses}. */
final class Calls {

    private Calls() {}

    static <T> void unary(StreamObserver<T> out, Supplier<T> call) {
        T result;
        try {
            result = call.get();
        } catch (RuntimeException e) {
            out.onError(Statuses.toStatus(e));
            return;
        }
        out.onNext(result);
        out.onCompleted();
    }
}
