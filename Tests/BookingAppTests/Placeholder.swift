import Testing
import VaporTesting
@testable import BookingApp
