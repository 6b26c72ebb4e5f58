package org.lkmd.uevent;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One kernel uevent: the {@code ACTION@DEVPATH} header's action and devpath, and every
 * {@code KEY=VALUE} property in the order the kernel sent them ({@code ACTION}, {@code DEVPATH},
 * {@code SUBSYSTEM}, {@code SEQNUM}, {@code MODALIAS}, {@code SYNTH_UUID}, ...). Immutable.
 *
 * @param seqnum the kernel's {@code SEQNUM}, or -1 when the event carried none
 */
public record Uevent(String action, String devpath, long seqnum, Map<String, String> properties) {

    public Uevent {
        properties = Collections.unmodifiableMap(new LinkedHashMap<>(properties));
    }

    /** A property, or null. */
    public String get(String key) {
        return properties.get(key);
    }

    public String subsystem() {
        return properties.get("SUBSYSTEM");
    }

    public String modalias() {
        return properties.get("MODALIAS");
    }

    /** The device's kernel name: the last element of the devpath. */
    public String kernelName() {
        int slash = devpath.lastIndexOf('/');
        return slash >= 0 ? devpath.substring(slash + 1) : devpath;
    }
}
