import BookingDomain
import BookingPersistence

/// Turns whatever stopped start-up into the one line an operator needs, never a stack trace.
public enum StartupFailure {
    public static func describe(_ error: any Error) -> String {
        switch error {
        case let error as ConfigurationError:
            return error.description
        case let error as AppError:
            return error.reason
        default:
            return StorageFailure.startupDescription(of: error) ?? String(describing: error)
        }
    }
}
