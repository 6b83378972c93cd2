import BookingDomain
import Testing

@Suite("Recurrence rules (RFC 5545), in local dates")
struct RecurrenceRuleTests {
    static func date(_ text: String) -> LocalDate { LocalDate(text)! }

    static func dates(_ rule: String, from first: String) throws -> [String] {
        try RecurrenceRule(rule).dates(from: date(first)).map { "\($0)" }
    }

    @Test("weekly on Tuesdays, every week or every other, counted from the first occurrence")
    func weekly() throws {
        #expect(try Self.dates("FREQ=WEEKLY;BYDAY=TU;COUNT=4", from: "2026-12-01")
                == ["2026-12-01", "2026-12-08", "2026-12-15", "2026-12-22"])
        #expect(try Self.dates("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH;COUNT=5", from: "2026-12-01")
                == ["2026-12-01", "2026-12-03", "2026-12-15", "2026-12-17", "2026-12-29"])
        // Without BYDAY: the first occurrence's weekday. Lower case is read as RFC 5545's upper case.
        #expect(try Self.dates("freq=weekly;count=3", from: "2026-12-10") == ["2026-12-10", "2026-12-17", "2026-12-24"])
        // The first occurrence counts even when the rule would not name it (a Wednesday, then Tuesdays).
        #expect(try Self.dates("FREQ=WEEKLY;BYDAY=TU;COUNT=3", from: "2026-12-02") == ["2026-12-02", "2026-12-08", "2026-12-15"])
    }

    @Test("UNTIL is inclusive and read as a date; a rule past 366 occurrences is refused")
    func until() throws {
        #expect(try Self.dates("FREQ=DAILY;INTERVAL=10;UNTIL=20270110", from: "2026-12-01")
                == ["2026-12-01", "2026-12-11", "2026-12-21", "2026-12-31", "2027-01-10"])
        #expect(try Self.dates("FREQ=WEEKLY;UNTIL=20261231T235959Z", from: "2026-12-10") == ["2026-12-10", "2026-12-17", "2026-12-24", "2026-12-31"])
        #expect(try Self.dates("FREQ=DAILY;COUNT=366", from: "2026-12-01").count == 366)
        #expect(throws: AppError.self) { try Self.dates("FREQ=DAILY;UNTIL=20300101", from: "2026-12-01") }
        #expect(throws: AppError.self) { try RecurrenceRule("FREQ=DAILY;COUNT=367") }
    }

    @Test("monthly by day of the month (a month without it is skipped) and by the nth weekday")
    func monthly() throws {
        #expect(try Self.dates("FREQ=MONTHLY;COUNT=4", from: "2027-01-31") == ["2027-01-31", "2027-03-31", "2027-05-31", "2027-07-31"])
        #expect(try Self.dates("FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=3", from: "2027-01-31") == ["2027-01-31", "2027-02-28", "2027-03-31"])
        #expect(try Self.dates("FREQ=MONTHLY;BYDAY=-1FR;COUNT=3", from: "2026-12-25") == ["2026-12-25", "2027-01-29", "2027-02-26"])
        #expect(try Self.dates("FREQ=MONTHLY;BYDAY=1MO;COUNT=2", from: "2026-12-07") == ["2026-12-07", "2027-01-04"])
        // A rule that names nothing for years still ends: every twelfth month from February has no 31st.
        #expect(try Self.dates("FREQ=MONTHLY;INTERVAL=12;BYMONTHDAY=31;COUNT=2", from: "2027-02-01") == ["2027-02-01"])
    }

    @Test("what is not supported, or not a rule, says so, naming rrule")
    func refusals() {
        for text in ["", "FREQ=YEARLY;COUNT=2", "FREQ=WEEKLY", "FREQ=WEEKLY;COUNT=2;UNTIL=20270101", "FREQ=DAILY;BYDAY=MO;COUNT=2",
                     "FREQ=WEEKLY;BYDAY=XX;COUNT=2", "FREQ=WEEKLY;BYDAY=1MO;COUNT=2", "FREQ=MONTHLY;BYMONTHDAY=32;COUNT=2",
                     "FREQ=WEEKLY;COUNT=2;BYHOUR=9", "FREQ=WEEKLY;INTERVAL=0;COUNT=2", "FREQ=WEEKLY;COUNT=2;COUNT=3", "FREQ=WEEKLY;WKST=SU;COUNT=2",
                     "FREQ=MONTHLY;BYDAY=MO;BYMONTHDAY=1;COUNT=2", "FREQ=DAILY;UNTIL=2027-01-01"] {
            do {
                _ = try RecurrenceRule(text)
                Issue.record("\(text) was read")
            } catch {
                guard case .invalidField(let field, _) = error else { Issue.record("\(text): \(error)"); continue }
                #expect(field == "rrule")
            }
        }
    }
}
