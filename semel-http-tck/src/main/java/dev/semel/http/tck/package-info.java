/**
 * The HTTP behaviour table as one black-box contract every Semel HTTP adapter passes:
 * {@link dev.semel.http.tck.HttpBehaviourContract} in front of a
 * {@link dev.semel.http.tck.ContractApp}.
 */
package dev.semel.http.tck;
