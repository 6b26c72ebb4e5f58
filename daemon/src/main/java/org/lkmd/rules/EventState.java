package org.lkmd.rules;

import org.lkmd.base.Root;
import org.lkmd.uevent.Uevent;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What changes while one event runs through the rules: the properties (ENV), the parent chosen by
 * the last KERNELS/SUBSYSTEMS/DRIVERS/ATTRS match (udev's "dev_parent", used by {@code $driver},
 * {@code $id}, {@code $attr}) and the last PROGRAM's output. One per event, one thread.
 */
final class EventState {
    final Uevent event;
    final Device device;
    final Root root;
    final Map<String, String> env;
    Device parent;
    String result;

    EventState(Uevent event, Device device, Root root) {
        this.event = event;
        this.device = new EventDevice(event, device);
        this.root = root;
        this.env = new LinkedHashMap<>(event.properties());
        env.putIfAbsent("ACTION", event.action());
        env.putIfAbsent("DEVPATH", event.devpath());
        this.parent = this.device;
    }

    /**
     * The event's own device: name and devpath from the event, SUBSYSTEM and DRIVER from the event
     * when it carries them (a remove event's directory is gone), the rest from sysfs.
     */
    private record EventDevice(Uevent event, Device sysfs) implements Device {
        @Override
        public String sysname() {
            return event.kernelName().replace('!', '/');
        }

        @Override
        public String devpath() {
            return event.devpath();
        }

        @Override
        public Optional<String> subsystem() {
            String s = event.subsystem();
            return s != null ? Optional.of(s) : sysfs.subsystem();
        }

        @Override
        public Optional<String> driver() {
            String d = event.get("DRIVER");
            return d != null ? Optional.of(d) : sysfs.driver();
        }

        @Override
        public Optional<String> attribute(String name) {
            return sysfs.attribute(name);
        }

        @Override
        public Optional<Device> parent() {
            return sysfs.parent();
        }

        @Override
        public Optional<Path> syspath() {
            return sysfs.syspath();
        }
    }
}
