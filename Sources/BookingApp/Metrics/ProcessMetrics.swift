import CoreMetrics
import Foundation

/// The standard `process_*` series a Prometheus dashboard expects (resident memory, CPU time, open file
/// descriptors, start time), read from `/proc/self` at each scrape. Elsewhere than Linux only the start
/// time is exported.
struct ProcessMetrics: Sendable {
    private let residentMemory: Meter
    private let cpuSeconds: Meter
    private let openFileDescriptors: Meter

    init(factory: any MetricsFactory) {
        residentMemory = Meter(label: "process_resident_memory_bytes", factory: factory)
        cpuSeconds = Meter(label: "process_cpu_seconds_total", factory: factory)
        openFileDescriptors = Meter(label: "process_open_fds", factory: factory)
        Meter(label: "process_start_time_seconds", factory: factory).set(Date().timeIntervalSince1970)
    }

    /// Reads the current values; a file that cannot be read leaves its series as it was.
    func update() {
        #if os(Linux)
        let pageSize = Double(sysconf(Int32(_SC_PAGESIZE)))
        if let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
           let pages = statm.split(separator: " ").dropFirst().first.flatMap({ Double($0) }) {
            residentMemory.set(pages * pageSize)
        }
        // Fields 14 and 15 of /proc/self/stat (utime, stime) are in clock ticks; the command name before
        // them, in parentheses, may hold spaces, so count from the closing parenthesis.
        if let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
           let end = stat.lastIndex(of: ")") {
            let fields = stat[stat.index(after: end)...].split(separator: " ")
            if fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) {
                cpuSeconds.set((user + system) / Double(sysconf(Int32(_SC_CLK_TCK))))
            }
        }
        if let descriptors = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") {
            openFileDescriptors.set(descriptors.count)
        }
        #endif
    }
}
