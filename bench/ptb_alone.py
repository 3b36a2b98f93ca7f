"""python-telegram-bot alone against the bench's fake Bot API: 16 sends at once, no store, no
pacing, no limits in the fake. The ceiling of one sending process on this machine, to read
row 3 against: ``python -m bench.ptb_alone``."""

from __future__ import annotations

import asyncio
import time

from bench.procs import FakesProc
from bot.core.messages import Outgoing
from webhooks.telegram import TelegramSender


async def _send_all(fakes: FakesProc, count: int, concurrency: int,
                    transport: str = "aiohttp") -> tuple[float, float]:
    env = fakes.env()
    sender = TelegramSender(env["HANYA_TELEGRAM_TOKEN"], env["HANYA_TELEGRAM_API_URL"],
                            transport=transport)
    await sender.start()
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with gate:
            await sender.send(f"telegram:{300_000_000 + i}", Outgoing(text=f"t{i}"))

    cpu, started = time.process_time(), time.perf_counter()
    try:
        await asyncio.gather(*(one(i) for i in range(count)))
    finally:
        await sender.stop()
    return count / (time.perf_counter() - started), (time.process_time() - cpu) / count


def main(count: int = 3000, concurrency: int = 16) -> None:
    with FakesProc() as fakes:
        for transport in ("httpx", "aiohttp"):
            rate, cpu = asyncio.run(_send_all(fakes, count, concurrency, transport))
            print(f"PTB alone on {transport}: {rate:.0f} msg/s, {cpu * 1000:.2f} ms CPU per "
                  "send in the sending process")


if __name__ == "__main__":
    main()
