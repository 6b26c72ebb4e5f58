package org.lkmd.it.guest;

import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AgentRunOutputTest {
    @Test
    void parsesGuestAndHostLinesAmongConsoleNoise() {
        AgentRunOutput r = new AgentRunOutput();
        r.accept("\u001b[2JLKMD-MOD crc32c_generic uptime_ms=900 pre");
        r.accept("LKMD-MOD e1000e uptime_ms=14000 ");
        r.accept("LKMD-MODULES coldplug crc32c_generic e1000e xhci_pci ");
        r.accept("LKMD-HOST coldplug-modules e1000e snd_hda_codec_generic xhci_pci");
        r.accept("[   31.2] usb 1-1: new full-speed USB device");
        r.accept("LKMD-HOST hotplug device=usb-kbd ok=true ms=840 modules=usbhid:680,hid_generic:840 extra=hid:597");
        r.accept("LKMD-HOST hotplug device=e1000 ok=false ms=-1 modules= extra= error=already_live:e1000");
        r.accept("LKMD-HOST summary agent=udev coldplug_done_ms=14000 last_coldplug_driver_ms=13550 coldplug_modules=43");
        r.accept("LKMD-MODULES final crc32c_generic e1000e usbhid xhci_pci");
        r.accept("LKMD-DEV pci 0000:00:04.0 driver=e1000e\r");
        r.accept("LKMD-DEV pci 0000:00:1f.2 driver=-");
        r.accept("LKMD-JVM version_ms=1200 version_cds_ms=700 cds=ok");
        r.accept("LKMD-HOST exit status=0");
        assertEquals(Set.of("crc32c_generic"), r.preModules);
        assertEquals(Set.of("e1000e", "xhci_pci"), r.agentColdplugModules());
        assertEquals(Set.of("crc32c_generic", "e1000e", "usbhid", "xhci_pci"), r.finalModules);
        assertTrue(r.sawColdplug && r.sawFinal && r.sawHostColdplug);
        assertEquals(Set.of("e1000e", "snd_hda_codec_generic", "xhci_pci"), r.hostColdplugModules);
        assertEquals(Map.of("pci/0000:00:04.0", "e1000e", "pci/0000:00:1f.2", "-"), r.drivers);
        AgentRunOutput.Hotplug kbd = r.hotplugs.get("usb-kbd");
        assertTrue(kbd.ok());
        assertEquals(840, kbd.ms());
        assertEquals("hid:597", kbd.extra());
        assertNull(kbd.error());
        assertFalse(r.hotplugs.get("e1000").ok());
        assertEquals("already_live:e1000", r.hotplugs.get("e1000").error());
        assertEquals(14000, r.coldplugDoneMs);
        assertEquals(13550, r.lastColdplugDriverMs);
        assertEquals(1200, r.jvmVersionMs);
        assertEquals(0, r.exitStatus);
    }
}
