/// A process's interval timers and POSIX timers. Mirrors `task_timers_entry`.
public struct TaskTimers: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "task_timers_entry"

    /// `real`: ITIMER_REAL.
    public var real: IntervalTimer = .zero
    /// `virt`: ITIMER_VIRTUAL.
    public var virtual: IntervalTimer = .zero
    /// `prof`: ITIMER_PROF.
    public var profiling: IntervalTimer = .zero
    /// `posix`: timer_create(2) timers.
    public var posix: [POSIXTimer] = []

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: real = try reader.message(key)
            case 2: virtual = try reader.message(key)
            case 3: profiling = try reader.message(key)
            case 4: try reader.appendMessage(key, to: &posix)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

/// A setitimer(2) timer. Mirrors `itimer_entry`.
public struct IntervalTimer: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "itimer_entry"

    /// `isec`: interval seconds.
    public var intervalSeconds: UInt64 = 0
    /// `iusec`: interval microseconds.
    public var intervalMicroseconds: UInt64 = 0
    /// `vsec`: remaining seconds.
    public var valueSeconds: UInt64 = 0
    /// `vusec`: remaining microseconds.
    public var valueMicroseconds: UInt64 = 0

    static let zero = IntervalTimer()
    init() {}

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: intervalSeconds = try reader.u64(key)
            case 2: intervalMicroseconds = try reader.u64(key)
            case 3: valueSeconds = try reader.u64(key)
            case 4: valueMicroseconds = try reader.u64(key)
            default: try reader.skip(key.wireType)
            }
        }
    }

    /// True when the timer is disarmed (zero remaining value).
    public var isDisarmed: Bool { valueSeconds == 0 && valueMicroseconds == 0 }
}

/// A timer_create(2) timer. Mirrors `posix_timer_entry`.
public struct POSIXTimer: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "posix_timer_entry"

    /// `it_id`: kernel timer id.
    public var id: UInt32 = 0
    /// `clock_id`.
    public var clockID: UInt32 = 0
    /// `si_signo`: notification signal.
    public var signal: UInt32 = 0
    /// `it_sigev_notify`: SIGEV_* mode.
    public var notify: UInt32 = 0
    /// `sival_ptr`.
    public var signalValue: UInt64 = 0
    /// `overrun`.
    public var overrun: UInt32 = 0
    /// `isec`.
    public var intervalSeconds: UInt64 = 0
    /// `insec`.
    public var intervalNanoseconds: UInt64 = 0
    /// `vsec`.
    public var valueSeconds: UInt64 = 0
    /// `vnsec`.
    public var valueNanoseconds: UInt64 = 0
    /// `notify_thread_id`: target thread for SIGEV_THREAD_ID.
    public var notifyThreadID: Int32?

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: id = try reader.u32(key)
            case 2: clockID = try reader.u32(key)
            case 3: signal = try reader.u32(key)
            case 4: notify = try reader.u32(key)
            case 5: signalValue = try reader.u64(key)
            case 6: overrun = try reader.u32(key)
            case 7: intervalSeconds = try reader.u64(key)
            case 8: intervalNanoseconds = try reader.u64(key)
            case 9: valueSeconds = try reader.u64(key)
            case 10: valueNanoseconds = try reader.u64(key)
            case 11: notifyThreadID = try reader.i32(key)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

extension TaskTimers: EncodableImageMessage {
    /// Writes the model as CRIU writes `task_timers_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        try writer.write(1, message: real)
        try writer.write(2, message: virtual)
        try writer.write(3, message: profiling)
        for v in posix { try writer.write(4, message: v) }
    }
}

extension IntervalTimer: EncodableImageMessage {
    /// Writes the model as CRIU writes `itimer_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: intervalSeconds)
        writer.write(2, varint: intervalMicroseconds)
        writer.write(3, varint: valueSeconds)
        writer.write(4, varint: valueMicroseconds)
    }
}

extension POSIXTimer: EncodableImageMessage {
    /// Writes the model as CRIU writes `posix_timer_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: UInt64(id))
        writer.write(2, varint: UInt64(clockID))
        writer.write(3, varint: UInt64(signal))
        writer.write(4, varint: UInt64(notify))
        writer.write(5, varint: signalValue)
        writer.write(6, varint: UInt64(overrun))
        writer.write(7, varint: intervalSeconds)
        writer.write(8, varint: intervalNanoseconds)
        writer.write(9, varint: valueSeconds)
        writer.write(10, varint: valueNanoseconds)
        if let v = notifyThreadID { writer.write(11, signed: Int64(v)) }
    }
}
