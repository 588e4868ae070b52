package dev.tokend.client;

/** The access token failed the local check; the message says why. */
public final class InvalidTokenException extends Exception {
  public InvalidTokenException(String reason) {
    super(reason);
  }
}
