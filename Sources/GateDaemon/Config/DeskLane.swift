/// The lane name the front desk's redemptions are journalled under (`voucher redeem --outlet`,
/// issue 25): reserved, so a configured lane named so is refused by `config check`.
public enum DeskLane {
    public static let name = "desk"
}
