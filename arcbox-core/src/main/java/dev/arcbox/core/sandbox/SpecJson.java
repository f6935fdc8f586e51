package dev.arcbox.core.sandbox;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.arcbox.core.ArcboxException;
import dev.arcbox.core.spec.SandboxSpec;

/** The sandbox spec as stored in {@code sandboxes.spec_json}: snake_case JSON of the record. */
final class SpecJson {

    private static final ObjectMapper JSON = new ObjectMapper()
            .registerModule(new Jdk8Module())
            .registerModule(new JavaTimeModule())
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .disable(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private SpecJson() {}

    static String write(SandboxSpec spec) {
        try {
            return JSON.writeValueAsString(spec);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("serializing spec of " + spec.id() + ": " + e.getMessage(), e);
        }
    }

    static SandboxSpec read(String json) {
        try {
            return JSON.readValue(json, SandboxSpec.class);
        } catch (JsonProcessingException e) {
            throw new ArcboxException.FailedPrecondition("stored sandbox spec is unreadable: " + e.getOriginalMessage());
        }
    }
}
