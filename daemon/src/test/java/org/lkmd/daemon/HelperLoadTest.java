package org.lkmd.daemon;

import com.google.gson.JsonObject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lkmd.ScenarioRoot;
import org.lkmd.base.Root;
import org.lkmd.eventlog.EventLog;
import org.lkmd.eventlog.EventRecord;
import org.lkmd.kernel.SimulatedKernel;
import org.lkmd.loader.ModuleLoader;
import org.lkmd.loader.Prober;

import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The kernel's request through {@link HelperLoad} onto a simulated kernel, over the {@code probe}
 * root: the answer comes once the modules are in, and before the request is recorded.
 */
class HelperLoadTest {
    static final String PCI = "pci:v00001234d00005678sv00000000sd00000000bc02sc00i00";

    @TempDir
    Path tmp;
    Root root;
    Snapshot snapshot;
    EventLog events = new EventLog(16);

    @BeforeEach
    void load() {
        root = Root.of(ScenarioRoot.copy("probe", tmp));
        snapshot = new SnapshotLoader(root, ScenarioRoot.RELEASE, Clock.systemUTC()).load(1, false).value().orElseThrow();
    }

    private List<JsonObject> serve(SimulatedKernel k, String name, List<String> loadedAtAnswer) {
        HelperLoad h = new HelperLoad(() -> snapshot, new Prober(k, new ModuleLoader(k)), events, false);
        List<JsonObject> answers = new ArrayList<>();
        h.run(name, false, a -> {
            assertEquals(loadedAtAnswer, k.loadOrder(), "the modules in the kernel when the answer went");
            assertEquals(List.of(), events.records(), "recorded before the answer");
            answers.add(a);
        });
        return answers;
    }

    @Test
    void theAnswerComesWhenTheModulesAreInAndTheRecordAfterIt() {
        SimulatedKernel k = SimulatedKernel.on(root).build();
        List<JsonObject> answers = serve(k, PCI, List.of("mod_a", "mod_b", "mod_c"));
        assertEquals(1, answers.size());
        assertEquals(0, answers.get(0).get("rc").getAsInt());
        assertEquals(0, answers.get(0).getAsJsonArray("messages").size());
        EventRecord r = events.records().get(0);
        assertEquals(EventRecord.Source.KERNEL_REQUEST, r.source());
        assertEquals(PCI, r.request());
        assertEquals(EventRecord.Result.LOADED, r.outcomes().get(0).result());
    }

    @Test
    void aNameNoModuleHasIsAnsweredWithKmodsStatusThenRecorded() {
        SimulatedKernel k = SimulatedKernel.on(root).build();
        List<JsonObject> answers = serve(k, "char-major-99-99", List.of());
        assertEquals(1, answers.get(0).get("rc").getAsInt());
        assertEquals(List.of(EventRecord.Result.NOT_FOUND),
                events.records().get(0).outcomes().stream().map(EventRecord.Outcome::result).toList());
    }
}
