//! Registry strategies: what each write path does to an object before validation.
