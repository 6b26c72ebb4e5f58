package org.lkmd.uevent;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class DevpathSetTest {
    @Test
    void samePathAncestorAndDescendantConflictButPrefixSiblingsDoNot() {
        DevpathSet s = new DevpathSet();
        s.add("/devices/pci0000:00/0000:00:01.0");
        assertTrue(s.conflicts("/devices/pci0000:00/0000:00:01.0"));
        assertTrue(s.conflicts("/devices/pci0000:00"), "ancestor");
        assertTrue(s.conflicts("/devices"), "ancestor");
        assertTrue(s.conflicts("/devices/pci0000:00/0000:00:01.0/usb1/1-1"), "descendant");
        assertFalse(s.conflicts("/devices/pci0000:00/0000:00:01.1"), "sibling");
        assertFalse(s.conflicts("/devices/pci0000:00/0000:00:01.0x"), "string prefix, not a path prefix");
        assertFalse(s.conflicts("/devices/pci0000:00/0000:00:01"), "string prefix of the member");
        assertFalse(s.conflicts("/devices/virtual"));
    }

    @Test
    void membersAreCountedSoOneRemovalLeavesTheOther() {
        DevpathSet s = new DevpathSet();
        s.add("/devices/a/b");
        s.add("/devices/a/b");
        s.add("/devices/a/c");
        s.remove("/devices/a/b");
        assertTrue(s.conflicts("/devices/a/b/x"));
        s.remove("/devices/a/b");
        assertFalse(s.conflicts("/devices/a/b/x"));
        assertTrue(s.conflicts("/devices/a"));
        s.remove("/devices/a/c");
        assertFalse(s.conflicts("/devices/a"));
        assertTrue(s.isEmpty());
        assertThrows(IllegalStateException.class, () -> s.remove("/devices/a/c"));
    }

    @Test
    void parentStopsAtTheTop() {
        assertEquals("/devices", DevpathSet.parent("/devices/x"));
        assertNull(DevpathSet.parent("/devices"));
    }

    @Test
    void chainIsThePathThenItsAncestorsAndServesLikeThePath() {
        String[] c = DevpathSet.chain("/devices/a/b");
        assertEquals(java.util.List.of("/devices/a/b", "/devices/a", "/devices"), java.util.List.of(c));
        assertEquals(java.util.List.of("/devices"), java.util.List.of(DevpathSet.chain("/devices")));
        DevpathSet s = new DevpathSet();
        s.add(c);
        assertTrue(s.conflicts("/devices/a"));
        assertTrue(s.conflicts(DevpathSet.chain("/devices/a/b/x")));
        assertFalse(s.conflicts(DevpathSet.chain("/devices/ab")));
        s.remove("/devices/a/b");
        assertTrue(s.isEmpty());
        s.add("/devices/q");
        s.clear();
        assertTrue(s.isEmpty());
        assertFalse(s.conflicts("/devices/q"));
    }
}
