package dev.arcbox.driver.firecracker;

import dev.arcbox.driver.firecracker.api.FcApiClient;

/**
 * One API request of a sequence: method, path and typed body. Sequences are built as data, so
 * tests pin them (golden files) and a fake Firecracker replays them against its rules.
 *
 * @param method {@code PUT}, {@code PATCH} or {@code GET}
 * @param path the API path
 * @param body the request body (a record of {@code dev.arcbox.driver.firecracker.api}), or null
 */
record FcCall(String method, String path, Object body) {

    static FcCall put(String path, Object body) {
        return new FcCall("PUT", path, body);
    }

    static FcCall patch(String path, Object body) {
        return new FcCall("PATCH", path, body);
    }

    /** Sends this call. */
    void send(FcApiClient api) {
        switch (method) {
            case "PUT" -> api.put(path, body);
            case "PATCH" -> api.patch(path, body);
            default -> throw new IllegalStateException("not a configuring call: " + method + " " + path);
        }
    }

    /** {@code METHOD path body-json}, one line: the golden-file form. */
    String line() {
        return method + " " + path + (body == null ? "" : " " + FcApiClient.json(body));
    }
}
