package org.lkmd.uevent;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Turns one kernel uevent datagram into a {@link Uevent}, or names why it cannot be one. No I/O.
 *
 * <h2>Wire format</h2>
 * The kernel ({@code lib/kobject_uevent.c}) multicasts on {@code NETLINK_KOBJECT_UEVENT} group 1 a
 * datagram that is a list of NUL-terminated strings:
 * <pre>
 *   add@/devices/platform/pcspkr\0ACTION=add\0DEVPATH=/devices/platform/pcspkr\0SUBSYSTEM=platform\0
 *   MODALIAS=platform:pcspkr\0SEQNUM=2291\0
 * </pre>
 * The first string is the header {@code ACTION@DEVPATH}; every following one is {@code KEY=VALUE}.
 * The header must agree with the {@code ACTION} and {@code DEVPATH} properties. Userspace (udevd
 * rebroadcasting on group 2) uses a different format that starts with {@code "libudev\0"} and the
 * magic {@code 0xfeedcafe}; such a message is never from the kernel and is rejected. Strings are
 * decoded as UTF-8.
 *
 * <h2>Bounds</h2>
 * {@value #MIN_SIZE} ≤ size ≤ {@value #MAX_SIZE} bytes; at most {@code maxProperties} properties
 * (default {@value #DEFAULT_MAX_PROPERTIES}, the kernel's {@code UEVENT_NUM_ENVP}). A property that
 * appears twice keeps its last value, as udev does.
 */
public final class UeventParser {
    /** Smallest accepted datagram (udev and mdevd use the same bound). */
    public static final int MIN_SIZE = 32;
    /** Largest accepted datagram; also the receive buffer size of the netlink source. */
    public static final int MAX_SIZE = 8192;
    /** The kernel's {@code UEVENT_NUM_ENVP}: a kernel uevent never has more properties. */
    public static final int DEFAULT_MAX_PROPERTIES = 64;

    private static final byte[] LIBUDEV_PREFIX = "libudev\0".getBytes(StandardCharsets.US_ASCII);
    private static final int LIBUDEV_MAGIC = 0xfeedcafe;

    private final int maxProperties;

    public UeventParser() {
        this(DEFAULT_MAX_PROPERTIES);
    }

    public UeventParser(int maxProperties) {
        if (maxProperties < 2) {
            throw new IllegalArgumentException("maxProperties must allow ACTION and DEVPATH: " + maxProperties);
        }
        this.maxProperties = maxProperties;
    }

    /**
     * The outcome of parsing one datagram: exactly one of {@code event} and {@code drop} is set.
     *
     * @param detail a short human explanation for a drop (for DEBUG logs), empty when accepted
     */
    public record Result(Uevent event, DropReason drop, String detail) {
        public Result {
            if ((event == null) == (drop == null)) {
                throw new IllegalArgumentException("exactly one of event and drop");
            }
            detail = Objects.requireNonNullElse(detail, "");
        }

        static Result accepted(Uevent e) {
            return new Result(e, null, "");
        }

        static Result dropped(DropReason r, String detail) {
            return new Result(null, r, detail);
        }

        public boolean accepted() {
            return event != null;
        }
    }

    /** Parses bytes {@code [offset, offset+length)} of {@code buf}. */
    public Result parse(byte[] buf, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, buf.length);
        if (length > MAX_SIZE) {
            return Result.dropped(DropReason.OVERSIZE, length + " bytes > " + MAX_SIZE);
        }
        if (length < MIN_SIZE) {
            return Result.dropped(DropReason.TOO_SHORT, length + " bytes < " + MIN_SIZE);
        }
        if (isLibudev(buf, offset, length)) {
            return Result.dropped(DropReason.LIBUDEV_FORMAT, "libudev header");
        }
        int end = offset + length;
        if (buf[end - 1] != 0) {
            return Result.dropped(DropReason.NOT_NUL_TERMINATED, "last byte is not NUL");
        }
        int headerEnd = indexOfNul(buf, offset, end);
        String header = new String(buf, offset, headerEnd - offset, StandardCharsets.UTF_8);
        int at = header.indexOf("@/");
        if (at < 1) {
            return Result.dropped(DropReason.NO_HEADER, "no ACTION@/DEVPATH header");
        }
        String action = header.substring(0, at);
        String devpath = header.substring(at + 1);

        Map<String, String> props = new LinkedHashMap<>();
        int count = 0;
        for (int pos = headerEnd + 1; pos < end; ) {
            int nul = indexOfNul(buf, pos, end);
            if (++count > maxProperties) {
                return Result.dropped(DropReason.TOO_MANY_PROPERTIES, "more than " + maxProperties + " properties");
            }
            String kv = new String(buf, pos, nul - pos, StandardCharsets.UTF_8);
            int eq = kv.indexOf('=');
            if (eq < 1) {
                return Result.dropped(DropReason.MALFORMED_PROPERTY, "property " + count + " is not KEY=VALUE");
            }
            props.put(kv.substring(0, eq), kv.substring(eq + 1));
            pos = nul + 1;
        }
        if (!action.equals(props.get("ACTION"))) {
            return Result.dropped(DropReason.HEADER_MISMATCH,
                    "header action '" + action + "', ACTION=" + props.get("ACTION"));
        }
        if (!devpath.equals(props.get("DEVPATH"))) {
            return Result.dropped(DropReason.HEADER_MISMATCH,
                    "header devpath '" + devpath + "', DEVPATH=" + props.get("DEVPATH"));
        }
        long seqnum = -1;
        String seq = props.get("SEQNUM");
        if (seq != null) {
            seqnum = parseSeqnum(seq);
            if (seqnum < 0) {
                return Result.dropped(DropReason.BAD_SEQNUM, "SEQNUM=" + seq);
            }
        }
        return Result.accepted(new Uevent(action, devpath, seqnum, props));
    }

    /** Parses the remaining bytes of {@code buf} (its position is not moved). */
    public Result parse(ByteBuffer buf) {
        byte[] copy = new byte[buf.remaining()];
        buf.duplicate().get(copy);
        return parse(copy, 0, copy.length);
    }

    /**
     * The kernel wire form of an event: header, then its properties in order. The inverse of
     * {@link #parse} for accepted events (used by scripted sources and tests).
     */
    public static byte[] encode(Uevent e) {
        StringBuilder sb = new StringBuilder();
        sb.append(e.action()).append('@').append(e.devpath()).append('\0');
        e.properties().forEach((k, v) -> sb.append(k).append('=').append(v).append('\0'));
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static boolean isLibudev(byte[] buf, int offset, int length) {
        if (length < LIBUDEV_PREFIX.length + 4) {
            return false;
        }
        for (int i = 0; i < LIBUDEV_PREFIX.length; i++) {
            if (buf[offset + i] != LIBUDEV_PREFIX[i]) {
                return false;
            }
        }
        // The magic is stored in network byte order right after the prefix.
        int magic = ByteBuffer.wrap(buf, offset + LIBUDEV_PREFIX.length, 4).getInt();
        return magic == LIBUDEV_MAGIC;
    }

    private static int indexOfNul(byte[] buf, int from, int end) {
        for (int i = from; i < end; i++) {
            if (buf[i] == 0) {
                return i;
            }
        }
        return end; // unreachable for NUL-terminated input
    }

    /** A non-negative decimal below 2^63, else -1. */
    private static long parseSeqnum(String s) {
        if (s.isEmpty() || s.length() > 19) {
            return -1;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
        }
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
