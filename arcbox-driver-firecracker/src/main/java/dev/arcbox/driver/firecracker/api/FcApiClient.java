package dev.arcbox.driver.firecracker.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.arcbox.core.ArcboxException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.StringRequestContent;
import org.eclipse.jetty.io.Transport;
import org.eclipse.jetty.http.HttpMethod;

/**
 * Firecracker's REST API over its Unix socket: HTTP/1.1 through Jetty's client, JSON through
 * {@link FcJson}. Requests are serial in Firecracker; each call here is bounded by the client's
 * timeout. An error response becomes an {@link ArcboxException} that carries Firecracker's
 * {@code fault_message}: 400 (the request was refused: bad body or wrong phase) is a
 * {@code FailedPrecondition}, anything else a {@code HostFailure}; no answer at all is
 * {@code Unavailable}. Thread safe.
 */
public final class FcApiClient {

    private final HttpClient http;
    private final String vmId;
    private final Path socket;
    private final Transport transport;
    private final Duration timeout;

    /**
     * @param http the shared, started client ({@link FcHttp#shared()})
     * @param vmId the VM, for messages
     * @param socket Firecracker's {@code --api-sock}
     * @param timeout bound of every call
     */
    public FcApiClient(HttpClient http, String vmId, Path socket, Duration timeout) {
        this.http = http;
        this.vmId = vmId;
        this.socket = socket;
        this.transport = new Transport.TCPUnix(socket);
        this.timeout = timeout;
    }

    public Path socket() {
        return socket;
    }

    /** {@code PUT path} with {@code body} as JSON. */
    public void put(String path, Object body) {
        send(HttpMethod.PUT, path, body);
    }

    /** {@code PATCH path} with {@code body} as JSON. */
    public void patch(String path, Object body) {
        send(HttpMethod.PATCH, path, body);
    }

    /** {@code GET path}, read as {@code type}. */
    public <T> T get(String path, Class<T> type) {
        ContentResponse response = send(HttpMethod.GET, path, null);
        try {
            return FcJson.MAPPER.readValue(response.getContent(), type);
        } catch (IOException e) {
            throw new ArcboxException.ProtocolViolation("vm " + vmId + ": GET " + path + ": unreadable answer: "
                    + e.getMessage());
        }
    }

    /** {@code GET path} as a JSON tree. */
    public JsonNode getTree(String path) {
        return get(path, JsonNode.class);
    }

    private ContentResponse send(HttpMethod method, String path, Object body) {
        Request request = http.newRequest("http://localhost" + path)
                .transport(transport)
                .method(method)
                .timeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
                .headers(h -> h.put("Accept", "application/json"));
        if (body != null) {
            request.body(new StringRequestContent("application/json", json(body), StandardCharsets.UTF_8));
        }
        ContentResponse response;
        try {
            response = request.send();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ArcboxException.Unavailable(what(method, path) + ": interrupted", e);
        } catch (TimeoutException e) {
            throw new ArcboxException.DeadlineExceeded(what(method, path) + ": no answer within " + timeout);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new ArcboxException.Unavailable(what(method, path) + ": " + cause.getMessage(), cause);
        }
        int status = response.getStatus();
        if (status / 100 != 2) {
            String fault = faultMessage(response.getContentAsString());
            String message = what(method, path) + ": firecracker answered " + status + ": " + fault;
            if (status == 400) {
                throw new ArcboxException.FailedPrecondition(message);
            }
            throw new ArcboxException.HostFailure(message, null);
        }
        return response;
    }

    private String what(HttpMethod method, String path) {
        return "vm " + vmId + ": " + method + " " + path;
    }

    /** The fault_message of an error body, else the body itself (bounded). */
    static String faultMessage(String body) {
        try {
            ApiError error = FcJson.MAPPER.readValue(body, ApiError.class);
            if (error.faultMessage() != null) {
                return error.faultMessage();
            }
        } catch (IOException e) {
            // not the documented error shape: show what came
        }
        String text = body == null ? "" : body.strip();
        return text.isEmpty() ? "(no body)" : text.substring(0, Math.min(text.length(), 512));
    }

    /** {@code body} as Firecracker's JSON. */
    public static String json(Object body) {
        try {
            return FcJson.MAPPER.writeValueAsString(body);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not serializable: " + body, e);
        }
    }
}
