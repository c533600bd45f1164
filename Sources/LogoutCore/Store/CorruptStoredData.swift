/// An error that says our own stored data does not read (a row edited by hand, a sealed value
/// under another key): retrying cannot help, so callers answer 500 and log it rather than
/// answering 503 as for a store that is busy or away.
public protocol CorruptStoredData: Error {}
