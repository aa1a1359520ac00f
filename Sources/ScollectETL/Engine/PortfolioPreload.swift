import Foundation
import Logging

/// `options.read_from_portfolios`: before the first batch, one `get_accounts_in_portfolio` per
/// portfolio, spooled to a file in the run's folder and read account by account, keeping the
/// fields the writers compare. A listing that cannot be read is not fatal: its accounts are
/// read one by one as usual.
enum PortfolioPreload {
    static func read(_ portfolios: [String], config: PipelineConfig, client: ScollectClient, http: any HTTPTransport, folder: String,
                     state: RunState, log: Logger) -> [String: PortfolioListing.Account] {
        let fields = config.writers.reduce(into: Set<String>()) { $0.formUnion($1.comparedFields) }
        var accounts: [String: PortfolioListing.Account] = [:]
        for portfolio in portfolios {
            let spool = folder + "/.listing-\(UUID().uuidString).json"
            defer { try? FileManager.default.removeItem(atPath: spool) }
            var call = APICall(method: "POST", endpoint: "get_accounts_in_portfolio", path: "/get_accounts_in_portfolio",
                               body: .strings([("portfolio", portfolio)]), filenumber: nil, idempotent: true)
            call.spoolAnswerTo = spool
            do {
                let answer = try client.perform(call, using: http)
                guard answer.succeeded else {
                    if case .emptyResult = answer.classification { continue }
                    state.callFailed()
                    log.notice("portfolio \(portfolio) could not be listed (\(answer.classification.message ?? answer.classification.label)); its accounts are read one by one")
                    continue
                }
                var count = 0
                try PortfolioListing.read(file: spool, keeping: fields) { account in
                    accounts[account.filenumber] = account
                    count += 1
                }
                log.info("portfolio \(portfolio): \(count) accounts read in one call")
            } catch {
                log.notice("portfolio \(portfolio) could not be listed (\(error)); its accounts are read one by one")
            }
        }
        return accounts
    }
}
