import Fluent

/// A database error that reports whether a constraint (unique, check, foreign key) refused a statement.
/// Both drivers' errors conform, through FluentKit's `DatabaseError`.
typealias DatabaseConstraintFailure = Fluent.DatabaseError
