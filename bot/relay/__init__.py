"""The outbox relay: sends outbox rows through a messenger, paced, retried, and by
importance either at least once (cards, decisions, reminders) or at most once.

Every message to someone other than the current sender is an outbox row written in the
same transaction as its cause (docs/architecture.md, "How a notice flows"). The relay
(:mod:`bot.relay.loop`) claims due rows under a lease, paces them, renders each and hands it
to its messenger's sender (:mod:`bot.relay.outcomes`; Telegram's is :mod:`bot.telegram.sender`,
which says which of Telegram's answers is which outcome). What each outcome means for the row:

====================================  ===================================================
what happened                         what becomes of the row
====================================  ===================================================
sent                                  sent; ``sent_message_id`` kept (cards are found by it)
retry, with the messenger's wait      pending again after that wait; the chat pauses
retry, without                        pending again after a backoff (1 s, 2 s, 4 s ... up
                                      to ``max_backoff``); dead after ``max_attempts``
dead                                  dead, with the messenger's reason
dead, the chat refuses the bot        dead; for a private chat the person is marked as
                                      having blocked the bot, and their other rows die too
moved (a group got a new id)          sent on to the new chat id
uncertain: no answer within           it may have arrived: sent again (a retry) unless its
``request_timeout``, an answer we     template is ``at_most_once`` (handlers/notices.py),
could not read, or any other error    where a duplicate would mislead: then uncertain,
while the request was out             not resent
first part sent (a two-part send)     its message id recorded; a retry sends only the rest
the relay died with the request out   once the in-flight lease expires: sent again, or
                                      uncertain for an ``at_most_once`` template
the relay died before sending         pending: another relay (or this one restarted) takes
                                      it when the claim lease expires
render failed (a template bug)        dead, before anything was sent
====================================  ===================================================
"""
