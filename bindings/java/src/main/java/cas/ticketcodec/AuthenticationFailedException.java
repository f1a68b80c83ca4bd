package cas.ticketcodec;

/** The ticket did not authenticate: forged, tampered with, relabelled, or sealed under another key with the same id. Says nothing more, on purpose. */
public final class AuthenticationFailedException extends TicketException {
    private static final long serialVersionUID = 1L;

    AuthenticationFailedException(int code, String message) {
        super(code, message);
    }
}
