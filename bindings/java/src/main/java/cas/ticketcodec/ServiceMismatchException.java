package cas.ticketcodec;

/** The ticket was issued for another service than the one given (or is not an ST or PT). */
public final class ServiceMismatchException extends TicketException {
    private static final long serialVersionUID = 1L;

    ServiceMismatchException(int code, String message) {
        super(code, message);
    }
}
