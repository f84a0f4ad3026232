"""Simulation: a distributor's operations driven through the real service layer on a manual clock.

``o2c simulate --days N --customers N --seed S`` (:func:`o2c.sim.operations.simulate`) builds a
seeded world and runs it day by day, so every fact in the database is produced by o2c's own
services. ``o2c demo`` (:mod:`o2c.sim.walkthrough`) is the scripted tour of a handful of orders;
:mod:`o2c.sim.bulk` writes benchmark-scale facts set-based instead.

Determinism: one ``random.Random(seed)`` is threaded through world building and every daily draw,
in a fixed order (actions due at the same instant run in the order they were scheduled); nothing
reads the system clock. Same seed and settings, same facts.

The model (defaults in :class:`o2c.sim.config.SimulationConfig`; ``docs/simulation.md``):

- **World** (:mod:`~o2c.sim.world`): 3 DCs (east, central, west) with lanes of 1-5 days; customers in
  segments strategic / wholesale / retail (10 / 30 / 60 %), each with a channel, backorder policy,
  credit limit, payment terms and habit, region and a Pareto(1.16) volume weight (80/20); SKUs with
  lognormal price and popularity (fast and slow movers), steady or erratic (30 %) quantities, a
  yearly season (40 %), a supplier and sometimes an alternate; suppliers with lead times of 7-35
  days and late / short / rejection rates (half of them unreliable); carriers with delay and damage
  rates and freight per shipment and per kg.
- **Demand** (:mod:`~o2c.sim.demand`): Poisson orders a day (0.3 a customer a week by default),
  customers by weight, lines 1 + Poisson(segment mean - 1), lognormal quantities; transmittal
  delays per channel; requested dates for a share of orders; quotes for sales-rep orders, delivery
  inquiries (ATP promises).
- **Operations** (:mod:`~o2c.sim.entry`, :mod:`~o2c.sim.outbound`, :mod:`~o2c.sim.cash`): credit
  reviews, customer cancellations (2 %) and lost patience with backorders, release waves at 10:00 and
  14:00, pick / pack, carrier pickup at 17:00, deliveries with damage, short and wrong-item
  exceptions, payments at due date plus the customer's lateness.
- **Supply** (:mod:`~o2c.sim.supply`, :mod:`~o2c.sim.policy`): a reorder-point policy reviewed
  daily, each supplier ordered from on its weekday, modest safety stock (z = 0.8) so stockouts
  happen and recover; ASNs, inspected receipts, POs closed short, rebalancing transfers.
- **After sale** (:mod:`~o2c.sim.aftersale`): returns, billing corrections, cases and NPS through the
  after-sale services.

Reads (:mod:`~o2c.sim.observe`) are a few set-based queries a day (the planner's positions, the
dispatcher's shipments, the cash clerk's open amounts), never one per order.
"""
