package dev.arcbox.driver.firecracker.api;

import dev.arcbox.core.ArcboxException;
import java.util.concurrent.Executors;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The one Jetty {@link HttpClient} of the process, started on first use, on daemon threads that
 * hand blocking work to virtual threads. Every VM's API client shares it; each request names its
 * VM's socket through its own transport.
 */
public final class FcHttp {

    private static HttpClient shared;

    private FcHttp() {}

    /** The started shared client. */
    public static synchronized HttpClient shared() {
        if (shared == null) {
            QueuedThreadPool pool = new QueuedThreadPool();
            pool.setName("fc-http");
            pool.setDaemon(true);
            pool.setVirtualThreadsExecutor(Executors.newVirtualThreadPerTaskExecutor());
            HttpClient client = new HttpClient();
            client.setExecutor(pool);
            client.setUserAgentField(null);
            try {
                client.start();
            } catch (Exception e) {
                throw new ArcboxException.HostFailure("starting the firecracker api http client: " + e.getMessage(), e);
            }
            shared = client;
        }
        return shared;
    }
}
