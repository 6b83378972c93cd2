import Synchronization
import Vapor

/// Counts every answered request and its latency by method, route pattern and status. Counted once an
/// error has become its answer (``RequestServingMiddleware``), so failures are counted under their real
/// status.
///
/// Each series is made once, on its first request, and kept by its route (routes live as long as the
/// server), method label and status: making it through the metrics factory looked it up in the registry
/// under its lock, with the route's pattern built as a string, on every request. The keys are bounded:
/// the routes, eight method labels, the statuses the server answers.
final class RequestMetrics: Sendable {
    private struct Key: Hashable {
        let route: ObjectIdentifier?
        let method: String
        let status: UInt
    }

    private let metrics: AppMetrics
    private let series = Mutex<[Key: AppMetrics.RequestSeries]>([:])

    init(metrics: AppMetrics) {
        self.metrics = metrics
    }

    func record(_ response: Response, of request: Request, since started: ContinuousClock.Instant) {
        series(of: request, status: response.status.code).record(ContinuousClock.now - started)
    }

    private func series(of request: Request, status: UInt) -> AppMetrics.RequestSeries {
        let key = Key(route: request.route.map(ObjectIdentifier.init), method: AppMetrics.methodLabel(request.method.rawValue), status: status)
        if let known = series.withLock({ $0[key] }) {
            return known
        }
        let made = metrics.requestSeries(method: key.method, route: request.routePattern, status: status)
        return series.withLock { kept in
            if let first = kept[key] { return first }
            kept[key] = made
            return made
        }
    }
}
