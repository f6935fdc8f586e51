package dev.arcbox.core.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Golden files pin the persisted formats: the v1 schema (a released migration is never edited) and
 * {@code vm_json}. On a mismatch the actual text is written to {@code target/golden-actual/}.
 */
class StoreGoldenTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void schemaV1_matchesGolden() throws Exception {
        Store.open(dir, Fixtures.FAST).close();
        StringBuilder actual = new StringBuilder();
        try (Connection c = Fixtures.raw(dir.resolve("arcbox.db")); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT type, name, sql FROM sqlite_schema ORDER BY type DESC, name")) {
            while (rs.next()) {
                actual.append("-- ").append(rs.getString(1)).append(' ').append(rs.getString(2)).append('\n')
                        .append(rs.getString(3)).append(";\n");
            }
        }

        assertThat(actual.toString()).isEqualTo(golden("schema-v1.sql", actual.toString()));
    }

    @Test
    void vmRecordJson_matchesGolden_andReadsBack() throws Exception {
        String actual = JSON.writerWithDefaultPrettyPrinter().writeValueAsString(
                JSON.readTree(StoreJson.vm(Fixtures.vmRecord()))) + "\n";
        String golden = golden("vm-record-v1.json", actual);

        assertThat(JSON.readTree(actual)).isEqualTo(JSON.readTree(golden));
        assertThat(StoreJson.vm(golden)).isEqualTo(Fixtures.vmRecord());
    }

    private static String golden(String name, String actual) throws IOException {
        try (InputStream in = StoreGoldenTest.class.getResourceAsStream(name)) {
            String expected = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
            if (!expected.equals(actual)) {
                Path out = Path.of("target", "golden-actual", name);
                Files.createDirectories(out.getParent());
                Files.writeString(out, actual);
            }
            return expected;
        }
    }
}
