package org.lkmd.uevent;

/**
 * Why a received datagram was not handed on as a {@link Uevent}. The first group is decided by
 * {@link UeventParser} from the bytes alone; the second by {@link NetlinkUeventSource} from who sent
 * the datagram and how it arrived. Each drop is counted per reason ({@link DropCounts}).
 */
public enum DropReason {
    /** Larger than the 8 KiB message bound. */
    OVERSIZE,
    /** Shorter than 32 bytes: no kernel uevent is that small. */
    TOO_SHORT,
    /** A libudev-format message ({@code libudev\0} + magic 0xfeedcafe): never from the kernel. */
    LIBUDEV_FORMAT,
    /** The last byte is not NUL: the message was cut or is not a NUL-separated list. */
    NOT_NUL_TERMINATED,
    /** The first string has no {@code @/}: not an {@code ACTION@DEVPATH} header. */
    NO_HEADER,
    /** {@code ACTION} or {@code DEVPATH} missing, or not what the header says. */
    HEADER_MISMATCH,
    /** A property that is empty, has no {@code =} or has an empty key. */
    MALFORMED_PROPERTY,
    /** {@code SEQNUM} present but not a non-negative decimal number. */
    BAD_SEQNUM,
    /** More properties than the configured bound. */
    TOO_MANY_PROPERTIES,

    /** Sender port id is not 0: a userspace process sent it (multicast to group 1 or unicast). */
    FORGED_SENDER,
    /** No {@code SCM_CREDENTIALS} control message came with the datagram. */
    NO_CREDENTIALS,
    /** Credentials present but the sender's uid is not 0. */
    NON_ROOT_CREDENTIALS,
    /** {@code MSG_TRUNC}: the datagram did not fit the receive buffer. */
    TRUNCATED
}
